/**
 * `npm run bench:gateway`: latency and throughput of the SQL-over-HTTP gateway against direct `pg` and direct PGlite,
 * for a primary-key SELECT and a small INSERT at a fixed number of concurrent clients. Prints figures; asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { Agent, request } from 'node:http'
import { parseArgs } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { neon, neonConfig } from '@neondatabase/serverless'
import pg from 'pg'
import { EMBEDDED_DATABASE_URL } from '../db/database-url'
import { startSqlGateway } from '../db/gateway/server'

const { values } = parseArgs({
  options: {
    postgres: {
      type: 'string',
      default: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
    },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
  },
})
const concurrency = Number(values.concurrency)
const seconds = Number(values.seconds)
const ROWS = 1000

type Runner = {
  select(id: number): Promise<unknown>
  insert(n: number): Promise<unknown>
  close(): Promise<void>
}

const setupSql = [
  'DROP TABLE IF EXISTS bench_users',
  'CREATE TABLE bench_users (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL)',
  `INSERT INTO bench_users SELECT i, 'user ' || i, 'user' || i || '@example.com' FROM generate_series(1, ${ROWS}) AS i`,
  'DROP TABLE IF EXISTS bench_inserts',
  'CREATE TABLE bench_inserts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, at timestamptz NOT NULL DEFAULT now())',
]
const SELECT_SQL = 'SELECT id, name, email FROM bench_users WHERE id = $1'
const INSERT_SQL = 'INSERT INTO bench_inserts (name) VALUES ($1) RETURNING id'

async function directPg(url: string): Promise<Runner> {
  const pool = new pg.Pool({ connectionString: url, max: concurrency })
  for (const statement of setupSql) await pool.query(statement)
  return {
    select: (id) => pool.query(SELECT_SQL, [id]),
    insert: (n) => pool.query(INSERT_SQL, [`name ${n}`]),
    close: () => pool.end(),
  }
}

async function directPglite(): Promise<Runner> {
  const db = await PGlite.create()
  for (const statement of setupSql) await db.query(statement)
  return {
    select: (id) => db.query(SELECT_SQL, [id]),
    insert: (n) => db.query(INSERT_SQL, [`name ${n}`]),
    close: () => db.close(),
  }
}

async function throughEndpoint(endpointUrl: string, databaseUrl: string): Promise<Runner> {
  neonConfig.fetchEndpoint = endpointUrl
  const sql = neon(databaseUrl)
  for (const statement of setupSql) await sql.query(statement)
  return {
    select: (id) => sql.query(SELECT_SQL, [id]),
    insert: (n) => sql.query(INSERT_SQL, [`name ${n}`]),
    close: async () => undefined,
  }
}

/**
 * The production server's path (decision 0018): the real driver handing each request to a gateway in this same
 * process through `fetchFunction`, with no socket and no HTTP parsing in between.
 */
async function throughInProcessGateway(databaseUrl: string): Promise<Runner> {
  const gateway = await startSqlGateway({ port: 0, poolSize: concurrency })
  neonConfig.fetchEndpoint = gateway.url
  neonConfig.fetchFunction = gateway.fetch
  const sql = neon(databaseUrl)
  for (const statement of setupSql) await sql.query(statement)
  return {
    select: (id) => sql.query(SELECT_SQL, [id]),
    insert: (n) => sql.query(INSERT_SQL, [`name ${n}`]),
    close: async () => {
      neonConfig.fetchFunction = undefined
      await gateway.close()
    },
  }
}

/**
 * The same requests the driver sends, from a lean keep-alive `node:http` client. On a small machine the driver's
 * `fetch` costs more CPU per request than the endpoint does; this path shows what the endpoint itself sustains.
 */
async function rawHttp(endpointUrl: string, databaseUrl: string): Promise<Runner> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const headers = {
    'Neon-Connection-String': databaseUrl,
    'Neon-Array-Mode': 'true',
    'Neon-Raw-Text-Output': 'true',
  }
  const post = (query: string, params: string[]) =>
    new Promise<void>((resolve, reject) => {
      const req = request(endpointUrl, { method: 'POST', agent, headers }, (res) => {
        res.resume()
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        )
      })
      req.on('error', reject)
      req.end(JSON.stringify({ query, params }))
    })
  return {
    select: (id) => post(SELECT_SQL, [String(id)]),
    insert: (n) => post(INSERT_SQL, [`name ${n}`]),
    close: async () => agent.destroy(),
  }
}

/** The endpoint in its own process, as `npm run dev` runs it, so it does not share this process's CPU time. */
async function startEndpoint(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'db/gateway/cli.ts', '--port', '0', '--memory'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SQL_GATEWAY_POOL_SIZE: String(concurrency) },
  })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1]) resolve(match[1])
    })
    child.once('exit', () => reject(new Error(`endpoint exited: ${output}`)))
  })
  return { url, child }
}

interface Figures {
  requestsPerSecond: number
  p50: number
  p99: number
}

/** `concurrency` clients loop over `operation` for `seconds`; a short warm-up is run and discarded first. */
async function measure(operation: (i: number) => Promise<unknown>): Promise<Figures> {
  const run = async (durationMs: number) => {
    const latencies: number[] = []
    const deadline = performance.now() + durationMs
    let counter = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const started = performance.now()
          await operation(counter++)
          latencies.push(performance.now() - started)
        }
      }),
    )
    return latencies
  }
  await run(500)
  const started = performance.now()
  const latencies = (await run(seconds * 1000)).sort((a, b) => a - b)
  const elapsed = (performance.now() - started) / 1000
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
  return { requestsPerSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) }
}

async function bench(name: string, makeRunner: () => Promise<Runner>, rows: string[][]) {
  const runner = await makeRunner()
  for (const [label, operation] of [
    ['PK SELECT', (i: number) => runner.select((i % ROWS) + 1)],
    ['INSERT', (i: number) => runner.insert(i)],
  ] as const) {
    const figures = await measure(operation)
    rows.push([
      name,
      label,
      figures.requestsPerSecond.toFixed(0),
      figures.p50.toFixed(2),
      figures.p99.toFixed(2),
    ])
    console.error(`  done: ${name} ${label}`)
  }
  await runner.close()
}

const endpoint = await startEndpoint()
const rows: string[][] = []
try {
  // In-process PGlite blocks this process's event loop, so it runs first, before any connection to the endpoint.
  await bench('PGlite direct (in-process)', directPglite, rows)
  await bench('endpoint → PGlite', () => throughEndpoint(endpoint.url, EMBEDDED_DATABASE_URL), rows)
  await bench('pg direct → Postgres', () => directPg(values.postgres), rows)
  await bench('endpoint → Postgres', () => throughEndpoint(endpoint.url, values.postgres), rows)
  await bench('endpoint → Postgres (lean HTTP client)', () => rawHttp(endpoint.url, values.postgres), rows)
  await bench('in-process gateway → Postgres', () => throughInProcessGateway(values.postgres), rows)
} finally {
  endpoint.child.kill('SIGTERM')
}

const header = ['path', 'query', 'req/s', 'p50 ms', 'p99 ms']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)))
const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')
console.log(`\n${concurrency} concurrent clients, ${seconds} s per figure, node ${process.version}\n`)
console.log(line(header))
for (const row of rows) console.log(line(row))
const rate = (path: string, label: string) =>
  Number(rows.find((row) => row[0] === path && row[1] === label)?.[2])
for (const path of [
  'endpoint → Postgres',
  'endpoint → Postgres (lean HTTP client)',
  'in-process gateway → Postgres',
]) {
  const ratio = (label: string) => (rate(path, label) / rate('pg direct → Postgres', label)).toFixed(2)
  console.log(`${path} / pg direct throughput: PK SELECT ${ratio('PK SELECT')}, INSERT ${ratio('INSERT')}`)
}
