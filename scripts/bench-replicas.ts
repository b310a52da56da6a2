/**
 * `npm run bench:replicas`: the production server (`npm start`) reading one user under load, first with every read
 * on the primary, then with a streaming standby in DATABASE_REPLICA_URLS: requests per second, latency, and the
 * transactions each database ran per request (pg_stat_database; the gateway's connection reset after each request
 * is one more), i.e. the load that moved off the primary. Then
 * the same reads carrying a consistency position the standby has replayed (the common case of read-your-writes).
 * `--replica URL` uses a standby you made; without it one is made of --postgres and removed (scripts/standby.ts).
 * Needs `npm run build` first. Measures, asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import pg from 'pg'
import { createTokenService } from '../edge/auth/tokens'
import { CONSISTENCY_HEADER } from '../edge/consistency'
import { parseConfig } from '../edge/env'
import { createStandby, type Standby } from '../test/support/standby'
import { median } from './lib/median'

const { values } = parseArgs({
  options: {
    postgres: {
      type: 'string',
      default: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
    },
    replica: { type: 'string' },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
  },
})
const JWT_SECRET = 'edgeline-bench-secret-that-is-at-least-32-bytes'
const primaryUrl = values.postgres
const database = new URL(primaryUrl).pathname.slice(1)
const logDirectory = mkdtempSync(join(tmpdir(), 'edgeline-bench-replicas-'))
const children: ChildProcess[] = []

function startServer(
  name: string,
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess }> {
  const outputFile = join(logDirectory, `${name}.out`)
  const fd = openSync(outputFile, 'w')
  const child = spawn('node', ['.next/standalone/server.mjs', '--port', '0', '--hostname', '127.0.0.1'], {
    env: { ...process.env, JWT_SECRET, DATABASE_URL: primaryUrl, ...env },
    stdio: ['ignore', fd, fd],
  })
  children.push(child)
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const url = /Edgeline\s+(http:\/\/\S+)[\s\S]*Stop/.exec(readFileSync(outputFile, 'utf8'))?.[1]
      if (url) {
        clearInterval(poll)
        resolve({ url, child })
      }
    }, 100)
    child.once('exit', (code) => {
      clearInterval(poll)
      reject(new Error(`${name} exited ${code}: ${readFileSync(outputFile, 'utf8')}`))
    })
  })
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** Transactions committed or rolled back in the bench's database on the server at `url` (any database of it). */
async function transactions(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ n: string }>(
      'select xact_commit + xact_rollback as n from pg_stat_database where datname = $1',
      [database],
    )
    return Number(rows[0]?.n ?? 0)
  } finally {
    await client.end()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Figures {
  rps: number
  p50: number
  p99: number
  errors: number
  primaryPerRequest: number
  replicaPerRequest: number
}

/**
 * Backends publish their statistics when idle, at most once a second, and an idle pooled connection may hold them
 * up to 10 s (PGSTAT_IDLE_INTERVAL): each reading waits that long, so no load is counted in the wrong case.
 */
const STATISTICS_SETTLE_MS = 11_000

/** Both servers' transaction counters once every earlier request's statistics have arrived. */
async function settledCounters(replicaStatsUrl: string): Promise<[number, number]> {
  await sleep(STATISTICS_SETTLE_MS)
  return Promise.all([transactions(primaryUrl), transactions(replicaStatsUrl)])
}

async function measure(
  url: string,
  headers: Record<string, string>,
  replicaStatsUrl: string,
  before: [number, number],
): Promise<{ figures: Figures; after: [number, number] }> {
  const result = await autocannon({
    url,
    headers,
    connections: Number(values.connections),
    duration: Number(values.seconds),
  })
  const after = await settledCounters(replicaStatsUrl)
  const requests = result.requests.total
  return {
    figures: {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
      primaryPerRequest: (after[0] - before[0]) / requests,
      replicaPerRequest: (after[1] - before[1]) / requests,
    },
    after,
  }
}

async function main() {
  const standby: Standby | undefined = values.replica ? undefined : await createStandby(primaryUrl)
  const replicaUrl = values.replica ?? (standby as Standby).url
  // The standby's statistics, read from its `postgres` database so the readings are not counted themselves.
  const replicaStats = new URL(replicaUrl)
  replicaStats.pathname = '/postgres'
  const primary = new pg.Client({ connectionString: primaryUrl })
  await primary.connect()
  try {
    await run('node', ['.next/standalone/server.mjs', 'migrate'])
    const email = `bench-replicas-${Date.now()}@example.test`
    const { rows } = await primary.query<{ id: number; position: string }>(
      `insert into users (name, email, role) values ('Bench', $1, 'admin')
       returning id, pg_current_xact_id()::text as position`,
      [email],
    )
    const { id, position } = rows[0] as { id: number; position: string }
    const token = await createTokenService(parseConfig({ JWT_SECRET }).auth).signAccessToken({
      userId: String(id),
      role: 'admin',
    })
    const authorization = { Authorization: `Bearer ${token}` }
    const servers = {
      'primary only': await startServer('primary-only', {}),
      'with the standby': await startServer('with-replica', {
        DATABASE_REPLICA_URLS: replicaUrl,
        DATABASE_REPLICA_MAX_LAG_MS: '5000',
      }),
    }
    const cases = [
      { name: 'primary only', server: servers['primary only'], headers: authorization },
      { name: 'with the standby', server: servers['with the standby'], headers: authorization },
      {
        name: 'with the standby, position replayed',
        server: servers['with the standby'],
        headers: { ...authorization, [CONSISTENCY_HEADER]: position },
      },
    ]
    const figures = new Map<string, Figures[]>(cases.map((c) => [c.name, []]))
    // A warm-up round (not counted), then interleaved rounds, so the machine's noise falls on every case alike.
    for (const c of cases) {
      await autocannon({ url: `${c.server.url}/api/users/${id}`, headers: c.headers, duration: 2 })
    }
    let counters = await settledCounters(replicaStats.href)
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const c of cases) {
        const { figures: measured, after } = await measure(
          `${c.server.url}/api/users/${id}`,
          c.headers,
          replicaStats.href,
          counters,
        )
        counters = after
        figures.get(c.name)?.push(measured)
      }
    }
    console.log(
      `\nGET /api/users/:id, ${values.connections} connections, ${values.seconds} s × ${values.rounds} rounds (medians)\n`,
    )
    console.log(
      'case                                   req/s    p50 ms  p99 ms  errors  primary tx/req  replica tx/req',
    )
    for (const [name, list] of figures) {
      const m = (pick: (f: Figures) => number) => median(list.map(pick))
      console.log(
        `${name.padEnd(38)} ${m((f) => f.rps)
          .toFixed(0)
          .padStart(6)}  ${m((f) => f.p50)
          .toFixed(1)
          .padStart(6)}  ${m((f) => f.p99)
          .toFixed(1)
          .padStart(6)}  ${String(m((f) => f.errors)).padStart(6)}  ${m((f) => f.primaryPerRequest)
          .toFixed(3)
          .padStart(14)}  ${m((f) => f.replicaPerRequest)
          .toFixed(3)
          .padStart(14)}`,
      )
    }
    await primary.query('delete from users where id = $1', [id])
  } finally {
    await primary.end()
    await Promise.all(children.map(stopServer))
    await standby?.remove()
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, DATABASE_URL: primaryUrl },
      stdio: 'inherit',
    })
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))))
  })
}

main().catch(async (error: unknown) => {
  console.error(error)
  await Promise.all(children.map(stopServer))
  process.exit(1)
})
