/**
 * `npm run bench:api`: the production server (`npm start`) against, in the same run, the server a Node engineer
 * would write by hand (Fastify 5 + pino + jose + pg, scripts/bench/fastify.ts) and two floors: bare Hono for
 * GET /api/hello, Hono + `pg` for reading one user; optionally `next start` (--with-next), and npm start after it
 * rendered pages (--after-pages), as a deployment serving pages does; and npm start tracing every request to a
 * collector stand-in (--traced: OTLP/HTTP protobuf, 100 % sampled, scripts/bench/otlp-sink.ts); and another
 * checkout's build beside this one (--baseline DIR). Rounds are interleaved so
 * the machine's noise falls on every target alike; medians are printed. Measures, asserts nothing.
 * Needs `npm run build` first and a real Postgres (--postgres, default TEST_DATABASE_URL or 127.0.0.1:5432/test).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { processCpuMilliseconds } from './bench/process-cpu'
import { median } from './lib/median'

const { values } = parseArgs({
  options: {
    postgres: {
      type: 'string',
      default: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
    },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    'with-next': { type: 'boolean', default: false },
    'after-pages': { type: 'boolean', default: false },
    traced: { type: 'boolean', default: false },
    // Another checkout's build (e.g. main's), served the same way: did a change move npm start's figures?
    baseline: { type: 'string' },
  },
})
const connections = Number(values.connections)
const seconds = Number(values.seconds)
const rounds = Number(values.rounds)
const JWT_SECRET = 'edgeline-bench-secret-that-is-at-least-32-bytes'

interface Target {
  name: string
  url: string
  headers?: Record<string, string>
  /** The server's process, whose CPU time each round charges to the requests it served. */
  pid: number | undefined
}

interface Figures {
  requestsPerSecond: number
  p50: number
  p99: number
  errors: number
  /** The server's CPU time per request, in microseconds (NaN where /proc is missing). */
  cpuMicrosPerRequest: number
}

const children: ChildProcess[] = []
/** Every server's output, its access log among it, goes to a file here, as the Fastify peer's log does. */
const logDirectory = mkdtempSync(join(tmpdir(), 'edgeline-bench-api-'))

/**
 * Starts a server process with its output in a file of its own, and resolves with the URL it prints once it
 * listens, and what it printed by then. A file, not a pipe: reading every access line through a pipe would cost
 * this process CPU the servers should have, and every server writes its log the same way.
 */
function start(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  pattern: RegExp,
): Promise<{ url: string; output: string; pid: number | undefined }> {
  const outputFile = join(logDirectory, `${name}.out`)
  const fd = openSync(outputFile, 'w')
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] })
  children.push(child)
  return new Promise((resolve, reject) => {
    const read = () => readFileSync(outputFile, 'utf8').slice(0, 20_000)
    const exited = (code: number | null) => {
      clearInterval(poll)
      reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${read()}`))
    }
    const poll = setInterval(() => {
      const output = read()
      const url = pattern.exec(output)?.[1]
      if (!url) return
      clearInterval(poll)
      child.off('exit', exited)
      resolve({ url, output, pid: child.pid })
    }, 100)
    child.once('exit', exited)
  })
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'inherit' })
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function measure(target: Target, durationSeconds: number): Promise<Figures> {
  const cpuBefore = processCpuMilliseconds(target.pid)
  const result = await autocannon({
    url: target.url,
    connections,
    duration: durationSeconds,
    headers: target.headers,
  })
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuMicrosPerRequest:
      ((processCpuMilliseconds(target.pid) ?? Number.NaN) - (cpuBefore ?? Number.NaN)) *
      (1000 / result.requests.total),
  }
}

async function signUpAndToken(baseUrl: string): Promise<{ token: string; id: number }> {
  const response = await fetch(`${baseUrl}/api/auth/signup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: 'Bench',
      email: `bench-${Date.now()}@example.test`,
      password: 'bench-password',
    }),
  })
  if (response.status !== 201)
    throw new Error(`sign-up answered ${response.status}: ${await response.text()}`)
  const session = (await response.json()) as { accessToken: string; user: { id: number } }
  return { token: session.accessToken, id: session.user.id }
}

/** Renders a few pages once, as the first visitors of a deployment would. */
async function renderPages(baseUrl: string): Promise<void> {
  for (const page of ['/login', '/', '/signup']) {
    const response = await fetch(`${baseUrl}${page}`, { redirect: 'manual' })
    await response.arrayBuffer()
    if (response.status >= 500) throw new Error(`${page} answered ${response.status}`)
  }
}

async function main() {
  const env = { DATABASE_URL: values.postgres, JWT_SECRET }
  console.error('migrating…')
  await run('node', ['.next/standalone/server.mjs', 'migrate'], env)
  console.error('starting servers…')
  const [started, peer, bare, reference] = await Promise.all([
    start(
      'npm-start',
      'node',
      ['.next/standalone/server.mjs', '--port', '0', '--hostname', '127.0.0.1'],
      env,
      /Edgeline\s+(http:\/\/\S+)[\s\S]*Stop/,
    ),
    start(
      'fastify',
      'node',
      ['--import', 'tsx', 'scripts/bench/fastify.ts'],
      { ...env, LOG_FILE: join(logDirectory, 'fastify.log') },
      /listening on (http:\/\/\S+)/,
    ),
    start(
      'bare-hono',
      'node',
      ['--import', 'tsx', 'scripts/bench/bare-hono.ts'],
      {},
      /listening on (http:\/\/\S+)/,
    ),
    start(
      'hono-pg',
      'node',
      ['--import', 'tsx', 'scripts/bench/hono-pg.ts'],
      env,
      /listening on (http:\/\/\S+)/,
    ),
  ])
  // The same server, tracing every request (OTEL_TRACES_SAMPLER=always_on) to a sink: what tracing costs.
  const traced = values.traced
    ? await (async () => {
        const sink = await start(
          'otlp-sink',
          'node',
          ['--import', 'tsx', 'scripts/bench/otlp-sink.ts'],
          {},
          /listening on (http:\/\/\S+)/,
        )
        return start(
          'npm-start-traced',
          'node',
          ['.next/standalone/server.mjs', '--port', '0', '--hostname', '127.0.0.1'],
          { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on' },
          /Edgeline\s+(http:\/\/\S+)[\s\S]*Stop/,
        )
      })()
    : undefined
  const baseline = values.baseline
    ? await start(
        'npm-start-baseline',
        'node',
        [join(values.baseline, '.next/standalone/server.mjs'), '--port', '0', '--hostname', '127.0.0.1'],
        env,
        /Edgeline\s+(http:\/\/\S+)[\s\S]*Stop/,
      )
    : undefined
  const production = started.url
  const fastify = peer.url
  const bareHono = bare.url
  const honoPg = reference.url
  // next start runs the edge functions, which reach Postgres through the production server's gateway.
  const gateway = /gateway (http:\/\/\S+)/.exec(started.output)?.[1] ?? ''
  const nextServer = values['with-next']
    ? await (async () => {
        const port = await freePort()
        const { pid } = await start(
          'next-start',
          './node_modules/.bin/next',
          ['start', '--port', String(port), '--hostname', '127.0.0.1'],
          { ...env, SQL_GATEWAY_ENDPOINT: gateway },
          /(Ready)/i,
        )
        return { url: `http://127.0.0.1:${port}`, pid }
      })()
    : undefined
  const { token, id } = await signUpAndToken(production)
  // A real deployment serves pages from the same process. Once Next has rendered one, its AsyncLocalStorages have
  // switched on Node 20's async hooks for the whole process, and every promise of every API request pays for them.
  if (values['after-pages']) await renderPages(production)
  const startLabel = values['after-pages'] ? 'npm start (pages served)' : 'npm start'
  const auth = { Authorization: `Bearer ${token}` }

  const names = {
    helloStart: `${startLabel}: GET /api/hello`,
    helloFastify: 'Fastify: GET /api/hello',
    helloBare: 'bare Hono: GET /hello',
    userStart: `${startLabel}: GET /api/users/:id (token)`,
    userFastify: 'Fastify: GET /api/users/:id (token)',
    userHonoPg: 'Hono + pg: GET /users/:id',
  }
  const targets: Target[] = [
    { name: names.helloStart, url: `${production}/api/hello`, pid: started.pid },
    { name: names.helloFastify, url: `${fastify}/api/hello`, pid: peer.pid },
    { name: names.helloBare, url: `${bareHono}/hello`, pid: bare.pid },
    { name: names.userStart, url: `${production}/api/users/${id}`, headers: auth, pid: started.pid },
    { name: names.userFastify, url: `${fastify}/api/users/${id}`, headers: auth, pid: peer.pid },
    { name: names.userHonoPg, url: `${honoPg}/users/${id}`, pid: reference.pid },
    ...(baseline
      ? [
          { name: 'baseline npm start: GET /api/hello', url: `${baseline.url}/api/hello`, pid: baseline.pid },
          {
            name: 'baseline npm start: GET /api/users/:id (token)',
            url: `${baseline.url}/api/users/${id}`,
            headers: auth,
            pid: baseline.pid,
          },
        ]
      : []),
    ...(traced
      ? [
          { name: `${startLabel}, traced: GET /api/hello`, url: `${traced.url}/api/hello`, pid: traced.pid },
          {
            name: `${startLabel}, traced: GET /api/users/:id (token)`,
            url: `${traced.url}/api/users/${id}`,
            headers: auth,
            pid: traced.pid,
          },
        ]
      : []),
    ...(nextServer
      ? [
          // Its CPU column leaves out the gateway's share, which the npm start process pays.
          { name: 'next start: GET /api/hello', url: `${nextServer.url}/api/hello`, pid: nextServer.pid },
          {
            name: 'next start: GET /api/users/:id (token)',
            url: `${nextServer.url}/api/users/${id}`,
            headers: auth,
            pid: nextServer.pid,
          },
        ]
      : []),
  ]
  const results = new Map<string, Figures[]>(targets.map((target) => [target.name, []]))
  console.error('warming up…')
  for (const target of targets) await measure(target, 1)
  for (let round = 1; round <= rounds; round++) {
    for (const target of targets) {
      results.get(target.name)?.push(await measure(target, seconds))
      console.error(`  round ${round}: ${target.name}`)
    }
  }

  const rows = targets.map((target) => {
    const figures = results.get(target.name) ?? []
    return {
      name: target.name,
      rps: median(figures.map((f) => f.requestsPerSecond)),
      all: figures.map((f) => f.requestsPerSecond.toFixed(0)).join(' / '),
      p50: median(figures.map((f) => f.p50)),
      p99: median(figures.map((f) => f.p99)),
      errors: figures.reduce((sum, f) => sum + f.errors, 0),
      cpu: median(figures.map((f) => f.cpuMicrosPerRequest)),
    }
  })
  const header = ['target', 'req/s (median)', 'rounds', 'p50 ms', 'p99 ms', 'errors', 'server CPU µs/req']
  const table = rows.map((row) => [
    row.name,
    row.rps.toFixed(0),
    row.all,
    row.p50.toFixed(1),
    row.p99.toFixed(1),
    String(row.errors),
    row.cpu.toFixed(0),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => (cells[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')
  console.log(
    `\n${connections} connections, ${rounds} interleaved rounds of ${seconds} s, node ${process.version}` +
      `${values['after-pages'] ? ', npm start after rendering pages' : ''}\n`,
  )
  console.log(line(header))
  for (const cells of table) console.log(line(cells))
  const row = (name: string) => rows.find((candidate) => candidate.name === name)
  const ratio = (name: string, over: string) =>
    ((row(name)?.rps ?? Number.NaN) / (row(over)?.rps ?? Number.NaN)).toFixed(2)
  // CPU per request the other way round (theirs over ours), so that above 1 means "npm start is ahead" in both.
  const cpuRatio = (name: string, over: string) =>
    ((row(over)?.cpu ?? Number.NaN) / (row(name)?.cpu ?? Number.NaN)).toFixed(2)
  console.log(
    `\nGET /api/hello:     npm start / Fastify = ${ratio(names.helloStart, names.helloFastify)}` +
      ` (by CPU per request ${cpuRatio(names.helloStart, names.helloFastify)})` +
      `   npm start / bare Hono = ${ratio(names.helloStart, names.helloBare)}`,
  )
  if (baseline) {
    console.log(
      `this build / baseline: GET /api/hello ${ratio(names.helloStart, 'baseline npm start: GET /api/hello')}` +
        `   GET /api/users/:id ${ratio(names.userStart, 'baseline npm start: GET /api/users/:id (token)')}`,
    )
  }
  if (traced) {
    console.log(
      `tracing on / off:  GET /api/hello ${ratio(`${startLabel}, traced: GET /api/hello`, names.helloStart)}` +
        `   GET /api/users/:id ${ratio(`${startLabel}, traced: GET /api/users/:id (token)`, names.userStart)}`,
    )
  }
  console.log(
    `GET /api/users/:id: npm start / Fastify = ${ratio(names.userStart, names.userFastify)}` +
      ` (by CPU per request ${cpuRatio(names.userStart, names.userFastify)})` +
      `   npm start / Hono + pg = ${ratio(names.userStart, names.userHonoPg)}`,
  )
}

try {
  await main()
} finally {
  for (const child of children) child.kill('SIGTERM')
  rmSync(logDirectory, { recursive: true, force: true })
}
