/**
 * Global setup of the e2e projects: `npm run build` once, then the production build served two ways against the
 * run's database: `next start` (project `e2e`: the edge functions in Next's sandbox, as on Vercel) and Edgeline's
 * own production server (project `e2e-node`: `node .next/standalone/server.mjs`, Hono on Node). The same test
 * files run against both. Output goes to test-results/e2e/.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, type WriteStream, writeFileSync } from 'node:fs'
import { inArray } from 'drizzle-orm'
import type { TestProject } from 'vitest/node'
import { createDatabase } from '../../db/client'
import { EMBEDDED_DATABASE_URL } from '../../db/database-url'
import { migrateDatabase } from '../../db/migrate'
import { loginAttempts } from '../../db/schema'
import { loginBuckets } from '../../edge/auth/login-throttle'
import { nonLocalAlias } from './non-local-host'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the build is served, e.g. http://127.0.0.1:40123. */
    appUrl: string
    /** Which server: `next` (next start, edge functions) or `node` (the production server, Hono on Node). */
    serverKind: 'next' | 'node'
    /** The file holding what `npm run build` printed. */
    buildLogFile: string
    /** The file the server writes its output to (the access log lines among it), growing while tests run. */
    serverLogFile: string
  }
}

const NEXT = './node_modules/.bin/next'
const OUTPUT_DIR = 'test-results/e2e'
/** The token secret of the served build (production refuses the published development secret). */
export const E2E_JWT_SECRET = 'edgeline-e2e-secret-that-is-at-least-32-bytes-long'
/** The production server the build leaves in .next/standalone (scripts/build-server.ts). */
export const PRODUCTION_SERVER = '.next/standalone/server.mjs'

// Both e2e projects run their global setup in this one process: the build (a minute) is shared.
let built: Promise<string> | undefined

export default async function setup(project: TestProject) {
  // The root global setup (test/global-setup.ts) ran first and started the run's SQL endpoint.
  const { sqlEndpoint, databaseUrl } = project.getProvidedContext()
  if (!sqlEndpoint) throw new Error('test/global-setup.ts must run before test/e2e/built-server.ts')
  const kind = project.name === 'e2e-node' ? 'node' : 'next'
  mkdirSync(OUTPUT_DIR, { recursive: true })
  const buildLogFile = `${OUTPUT_DIR}/build.log`
  const serverLogFile = `${OUTPUT_DIR}/${kind === 'node' ? 'production-server' : 'next-start'}.log`

  built ??= runToCompletion('npm', ['run', 'build']).then(async (output) => {
    writeFileSync(buildLogFile, output)
    await migrateDatabase(databaseUrl, sqlEndpoint)
    await forgetLoopbackFailures(databaseUrl, sqlEndpoint)
    return output
  })
  await built

  const serverLog = createWriteStream(serverLogFile)
  const { server, appUrl } =
    kind === 'node'
      ? await startProductionServer(databaseUrl, sqlEndpoint, serverLog)
      : await startNextServer(databaseUrl, sqlEndpoint, serverLog)
  try {
    await waitUntilServing(server, `${appUrl}/api/hello`, 60_000, serverLogFile)
  } catch (error) {
    await stop(server)
    throw error
  }

  project.provide('appUrl', appUrl)
  project.provide('serverKind', kind)
  project.provide('buildLogFile', buildLogFile)
  project.provide('serverLogFile', serverLogFile)
  return async () => {
    await stop(server)
    serverLog.end()
  }
}

/**
 * Both servers see every e2e test as one client (loopback), and a real Postgres keeps that client's failed log-ins
 * from earlier runs for 15 minutes: a few runs in a row would otherwise throttle the tests that log in. Only the
 * loopback buckets are emptied; the throttle's own tests use addresses and databases of their own.
 */
async function forgetLoopbackFailures(databaseUrl: string, sqlEndpoint: string): Promise<void> {
  const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1']
  const buckets = await Promise.all(
    loopback.map(async (address) => {
      const { client } = await loginBuckets('', new Headers({ 'x-forwarded-for': address }))
      return client as string
    }),
  )
  const db = createDatabase({ databaseUrl, sqlGatewayEndpoint: sqlEndpoint })
  await db.delete(loginAttempts).where(inArray(loginAttempts.bucket, buckets))
}

export async function startNextServer(
  databaseUrl: string,
  sqlEndpoint: string,
  log: WriteStream,
  extraEnv: Record<string, string> = {},
) {
  // Port 0: next start picks a free port itself and prints it, so no probe can race another process for one.
  // Spawned directly (not through npx/npm) so the PID we hold is the server's, and we stop exactly it.
  const server = spawn(NEXT, ['start', '--port', '0', '--hostname', '127.0.0.1'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SQL_GATEWAY_ENDPOINT: sqlEndpoint,
      JWT_SECRET: E2E_JWT_SECRET,
      NEXT_TELEMETRY_DISABLED: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  logTo(server, log)
  const appUrl = await announcedUrl(server, String(log.path), 60_000, /Local:\s+(http:\/\/\S+)/)
  return { server, appUrl }
}

/**
 * The production server on a port it picks itself (no probe-then-race). On real Postgres it runs its own
 * in-process gateway and reaches the database by a host name that is not "localhost" (as RDS or any remote host
 * would be); on the embedded database it uses the run's endpoint, which holds that in-memory database.
 * `useEndpoint` makes it use `sqlEndpoint` whatever the database (a test that counts what reaches the endpoint).
 */
export async function startProductionServer(
  databaseUrl: string,
  sqlEndpoint: string,
  log: WriteStream,
  useEndpoint = databaseUrl === EMBEDDED_DATABASE_URL,
  extraEnv: Record<string, string> = {},
) {
  const server = spawn('node', [PRODUCTION_SERVER, '--port', '0', '--hostname', '127.0.0.1'], {
    env: {
      ...process.env,
      DATABASE_URL: useEndpoint ? databaseUrl : await nonLocalAlias(databaseUrl),
      ...(useEndpoint ? { SQL_GATEWAY_ENDPOINT: sqlEndpoint } : {}),
      JWT_SECRET: E2E_JWT_SECRET,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  logTo(server, log)
  const appUrl = await announcedUrl(server, String(log.path))
  return { server, appUrl }
}

/** Everything the server prints, from its first line, goes to the log file the tests read. */
function logTo(server: ChildProcess, log: WriteStream): void {
  server.stdout?.pipe(log)
  server.stderr?.pipe(log)
}

/** The URL a server prints once it listens (ours: `Edgeline    http://127.0.0.1:PORT`). */
export function announcedUrl(
  server: ChildProcess,
  logFile: string,
  timeoutMs = 60_000,
  pattern = /Edgeline\s+(http:\/\/\S+)/,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(
      () =>
        reject(
          new Error(`the production server did not start in ${timeoutMs} ms; see ${logFile}:\n${output}`),
        ),
      timeoutMs,
    )
    server.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const url = pattern.exec(output)?.[1]
      if (url) {
        clearTimeout(timer)
        resolve(url)
      }
    })
    server.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    server.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited (${code}) before listening:\n${output}`))
    })
  })
}

export async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((resolve) => server.once('exit', resolve))
  server.kill('SIGTERM')
  await exited
}

export function runToCompletion(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`)),
    )
  })
}

export async function waitUntilServing(
  server: ChildProcess,
  url: string,
  timeoutMs: number,
  logFile: string,
) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited early; see ${logFile}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`the server did not answer ${url} within ${timeoutMs} ms; see ${logFile}`)
}
