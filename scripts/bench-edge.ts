/**
 * `npm run bench:edge` (after `npm run build`): the cold start of every built edge function, and of a minimal
 * Hono-only function as the floor. Each run loads the function fresh, its files as the manifest lists them, in Next's
 * edge sandbox (a new process each time) and in workerd (a new Miniflare each time), then answers one request.
 * Prints the median per function: gzip size, time to evaluate, time to the first response. Measures; asserts nothing.
 *
 *   npm run bench:edge -- --runs 5
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { COMPATIBILITY_DATE } from '../workers/compatibility'
import type { ColdStartJob } from './bench/edge-cold-start-job'
import { type ColdStart, coldStartInWorkerd } from './bench/workerd-cold-start'
import { readEdgeFunctionsOrExit } from './lib/edge-functions'
import { median } from './lib/median'

const runsArgument = process.argv.indexOf('--runs')
const RUNS = runsArgument > 0 ? Number(process.argv[runsArgument + 1]) : 3

/** The request each function answers: one that needs no database (no session: a page then reads nothing). */
const REQUEST_PATHS: Record<string, string> = {
  middleware: '/api/hello',
  floor: '/api/hello',
  '/api/[[...route]]/route': '/api/hello',
  '/page': '/',
  '/_not-found/page': '/nothing-here',
}
const requestPathOf = (name: string) =>
  REQUEST_PATHS[name] ?? name.replace(/\/(page|route)$/, '').replace(/^$/, '/')

/** The floor: scripts/bench/hono-floor-function.ts bundled and minified into one file, as a build would. */
async function buildFloor(directory: string): Promise<string> {
  const file = join(directory, 'floor.js')
  await build({
    entryPoints: ['scripts/bench/hono-floor-function.ts'],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'neutral',
    outfile: file,
    logLevel: 'error',
  })
  return file
}

const execFileAsync = promisify(execFile)

async function coldStartInEdgeVm(job: ColdStartJob): Promise<ColdStart> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['scripts/bench/edge-vm-cold-start.mjs', JSON.stringify(job)],
    { maxBuffer: 16 * 1024 * 1024 },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ColdStart
}

const functions = readEdgeFunctionsOrExit()
const scratch = mkdtempSync(join(tmpdir(), 'edgeline-bench-edge-'))
const floorFile = await buildFloor(scratch)
/** Where the requests say they go: no function below makes a request of its own (pages read no data signed out). */
const HOST = 'localhost:3000'
const targets = [
  {
    name: 'floor (Hono only)',
    entryName: 'floor',
    page: 'floor',
    files: [floorFile],
    distDir: '/',
    env: {},
    gzipBytes: gzipSync(readFileSync(floorFile)).length,
  },
  ...functions.map((fn) => ({
    name: fn.name,
    entryName: fn.entryName,
    page: fn.name === 'middleware' ? '/' : fn.name,
    files: fn.files,
    distDir: '.next',
    env: fn.env,
    gzipBytes: fn.gzipBytes,
  })),
]
const processEnv = {
  NODE_ENV: 'production',
  JWT_SECRET: 'edgeline-bench-secret-of-at-least-thirty-two-bytes',
  // Local, so the driver would go to the SQL endpoint; none of the requests below reaches the database.
  DATABASE_URL: 'postgresql://bench@127.0.0.1:5432/bench',
}

console.log(`Cold starts, median of ${RUNS} runs each (ms); requests carry no session.`)
// One unrecorded start of each kind first: this process's own first-use costs are no function's.
{
  const floor = targets[0] as (typeof targets)[number]
  const warmUp: ColdStartJob = {
    ...floor,
    processEnv,
    request: { url: `http://${HOST}/api/hello`, method: 'GET', headers: { host: HOST } },
  }
  await coldStartInEdgeVm(warmUp)
  await coldStartInWorkerd(warmUp, [[floorFile, readFileSync(floorFile, 'utf8')]], COMPATIBILITY_DATE)
}
const header = [
  'function'.padEnd(26),
  'gzip KiB'.padStart(8),
  'VM eval'.padStart(9),
  'VM 1st'.padStart(8),
  'workerd eval'.padStart(13),
  'workerd 1st'.padStart(12),
  'status'.padStart(7),
]
console.log(header.join('  '))
for (const target of targets) {
  const path = requestPathOf(target.entryName === 'floor' ? 'floor' : target.name)
  const job: ColdStartJob = {
    entryName: target.entryName,
    page: target.page,
    files: target.files,
    distDir: target.distDir,
    env: target.env,
    processEnv,
    request: {
      url: `http://${HOST}${path}`,
      method: 'GET',
      headers: {
        host: HOST,
        'x-forwarded-proto': 'http',
        accept: 'text/html,application/json',
      },
    },
  }
  const sources: [string, string][] = target.files.map((file) => [
    file,
    readFileSync(join(target.distDir, file), 'utf8'),
  ])
  const vm: ColdStart[] = []
  const workerd: ColdStart[] = []
  for (let run = 0; run < RUNS; run++) {
    vm.push(await coldStartInEdgeVm(job))
    workerd.push(await coldStartInWorkerd(job, sources, COMPATIBILITY_DATE))
  }
  const statuses = [...new Set([...vm, ...workerd].map((start) => start.status))].join('/')
  const ms = (starts: ColdStart[], key: 'evaluateMs' | 'firstResponseMs') =>
    median(starts.map((start) => start[key])).toFixed(1)
  console.log(
    [
      target.name.padEnd(26),
      (target.gzipBytes / 1024).toFixed(0).padStart(8),
      ms(vm, 'evaluateMs').padStart(9),
      ms(vm, 'firstResponseMs').padStart(8),
      ms(workerd, 'evaluateMs').padStart(13),
      ms(workerd, 'firstResponseMs').padStart(12),
      statuses.padStart(7),
    ].join('  '),
  )
}
rmSync(scratch, { recursive: true, force: true })
