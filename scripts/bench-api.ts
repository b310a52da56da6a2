/**
 * `npm run bench:api`: the production server (`npm start`) against plain alternatives in the same run: bare Hono
 * for GET /api/hello, Hono + `pg` for reading one user; optionally `next start` (--with-next). Rounds are
 * interleaved so the machine's noise falls on every target alike; medians are printed. Measures, asserts nothing.
 * Needs `npm run build` first and a real Postgres (--postgres, default TEST_DATABASE_URL or 127.0.0.1:5432/test).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
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
}

interface Figures {
  requestsPerSecond: number
  p50: number
  p99: number
  errors: number
}

const children: ChildProcess[] = []

/** Starts a server process and resolves with the URL it prints once it listens, and what it printed by then. */
function start(
  command: string,
  args: string[],
  env: Record<string, string>,
  pattern: RegExp,
): Promise<{ url: string; output: string }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  // The access log goes nowhere: reading it would cost this process CPU the servers should have.
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      if (output.length < 20_000) output += chunk.toString()
      const url = pattern.exec(output)?.[1]
      if (url) resolve({ url, output })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`)))
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

async function main() {
  const env = { DATABASE_URL: values.postgres, JWT_SECRET }
  console.error('migrating…')
  await run('node', ['.next/standalone/server.mjs', 'migrate'], env)
  console.error('starting servers…')
  const [started, bare, reference] = await Promise.all([
    start(
      'node',
      ['.next/standalone/server.mjs', '--port', '0', '--hostname', '127.0.0.1'],
      env,
      /Edgeline\s+(http:\/\/\S+)[\s\S]*Stop/,
    ),
    start('node', ['--import', 'tsx', 'scripts/bench/bare-hono.ts'], {}, /listening on (http:\/\/\S+)/),
    start('node', ['--import', 'tsx', 'scripts/bench/hono-pg.ts'], env, /listening on (http:\/\/\S+)/),
  ])
  const production = started.url
  const bareHono = bare.url
  const honoPg = reference.url
  // next start runs the edge functions, which reach Postgres through the production server's gateway.
  const gateway = /gateway (http:\/\/\S+)/.exec(started.output)?.[1] ?? ''
  const nextUrl = values['with-next']
    ? await (async () => {
        const port = await freePort()
        await start(
          './node_modules/.bin/next',
          ['start', '--port', String(port), '--hostname', '127.0.0.1'],
          { ...env, SQL_GATEWAY_ENDPOINT: gateway },
          /(Ready)/i,
        )
        return `http://127.0.0.1:${port}`
      })()
    : undefined
  const { token, id } = await signUpAndToken(production)
  const auth = { Authorization: `Bearer ${token}` }

  const targets: Target[] = [
    { name: 'npm start: GET /api/hello', url: `${production}/api/hello` },
    { name: 'bare Hono: GET /hello', url: `${bareHono}/hello` },
    { name: 'npm start: GET /api/users/:id (token)', url: `${production}/api/users/${id}`, headers: auth },
    { name: 'Hono + pg: GET /users/:id', url: `${honoPg}/users/${id}` },
    ...(nextUrl
      ? [
          { name: 'next start: GET /api/hello', url: `${nextUrl}/api/hello` },
          {
            name: 'next start: GET /api/users/:id (token)',
            url: `${nextUrl}/api/users/${id}`,
            headers: auth,
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
    }
  })
  const header = ['target', 'req/s (median)', 'rounds', 'p50 ms', 'p99 ms', 'errors']
  const table = rows.map((row) => [
    row.name,
    row.rps.toFixed(0),
    row.all,
    row.p50.toFixed(1),
    row.p99.toFixed(1),
    String(row.errors),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => (cells[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')
  console.log(
    `\n${connections} connections, ${rounds} interleaved rounds of ${seconds} s, node ${process.version}\n`,
  )
  console.log(line(header))
  for (const cells of table) console.log(line(cells))
  const rate = (name: string) => rows.find((row) => row.name === name)?.rps ?? Number.NaN
  console.log(
    `\nGET /api/hello: npm start / bare Hono = ${(rate(targets[0]?.name ?? '') / rate(targets[1]?.name ?? '')).toFixed(2)}`,
  )
  console.log(
    `GET /api/users/:id: npm start / Hono + pg = ${(rate(targets[2]?.name ?? '') / rate(targets[3]?.name ?? '')).toFixed(2)}`,
  )
}

try {
  await main()
} finally {
  for (const child of children) child.kill('SIGTERM')
}
