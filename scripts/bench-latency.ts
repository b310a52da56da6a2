/**
 * `npm run bench:latency`: every journey of the app (page views, API calls, answers that need no data) against the
 * built app, with distance put back in: the user↔function round trip by a delaying proxy in front of the server,
 * the function↔database round trip by the gateway's simulated latency (LOCAL_SQL_LATENCY_MS). For each placement
 * it prints per journey the median latency, and, counted, the serial database round trips (at the database's
 * endpoint) and the HTTP requests the app made to its own API (from the server's access log). Measures, asserts
 * nothing. Needs `npm run build` first and a real Postgres (--postgres, default TEST_DATABASE_URL or
 * 127.0.0.1:5432/test); `-- --runs 5 --targets production,next --placement sydney`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { startDelayingProxy } from './lib/delaying-proxy'
import { type DatabaseRequests, startDistantDatabase } from './lib/distant-database'
import { median } from './lib/median'

const { values } = parseArgs({
  options: {
    postgres: {
      type: 'string',
      default: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
    },
    runs: { type: 'string', default: '5' },
    targets: { type: 'string', default: 'production' },
    placement: { type: 'string', default: '' },
  },
})
const runs = Number(values.runs)
const JWT_SECRET = 'edgeline-bench-secret-that-is-at-least-32-bytes'
/** The production server's access log is written in batches, at least every 200 ms (server/access-log-sink.ts). */
const ACCESS_LOG_FLUSH_MS = 400

/**
 * Published round-trip times, in ms. Never made up: each names its source. Between regions: the average RTT
 * between AWS regions measured from EC2 instances ("Latency Between AWS Global Regions", as tabulated at
 * https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html): us-east-1 (N. Virginia) ↔
 * eu-central-1 (Frankfurt) 88.66 ms, us-east-1 ↔ ap-southeast-2 (Sydney) 229.7–230 ms (2017; live figures at
 * https://www.cloudping.co). The ~70–90 ms London→Virginia per query quoted in issue 16 agrees
 * (https://loke.dev/blog/edge-computing-database-latency-trap). Inside a region: between availability zones,
 * 0.25 ms at best to 3.37 ms at worst (best of 50 pings, https://www.xkyle.com/Measuring-AWS-Region-and-AZ-Latency/);
 * we take 1 ms. The user's own last mile to the nearest location is the same in every placement and left out.
 */
const RTT_MS = { virginiaFrankfurt: 89, virginiaSydney: 230, sameRegion: 1 }

interface Placement {
  name: string
  /** Round trip between the user and the function (the delaying proxy adds half each way). */
  userToFunctionMs: number
  /** Round trip between the function and the database (the gateway adds it to every SQL request). */
  functionToDatabaseMs: number
}

/** The database is in Virginia (us-east-1) throughout; the function runs near the user (edge) or near the data. */
const PLACEMENTS: Placement[] = [
  { name: 'Virginia user', userToFunctionMs: 0, functionToDatabaseMs: RTT_MS.sameRegion },
  { name: 'Frankfurt, edge', userToFunctionMs: 0, functionToDatabaseMs: RTT_MS.virginiaFrankfurt },
  {
    name: 'Frankfurt, us-east-1',
    userToFunctionMs: RTT_MS.virginiaFrankfurt,
    functionToDatabaseMs: RTT_MS.sameRegion,
  },
  { name: 'Sydney, edge', userToFunctionMs: 0, functionToDatabaseMs: RTT_MS.virginiaSydney },
  {
    name: 'Sydney, us-east-1',
    userToFunctionMs: RTT_MS.virginiaSydney,
    functionToDatabaseMs: RTT_MS.sameRegion,
  },
  // Not a place: issue 16's yardstick (every journey under one added round trip + 150 ms with 100 ms per query).
  { name: 'database 100 ms away', userToFunctionMs: 0, functionToDatabaseMs: 100 },
]

interface Session {
  accessToken: string
  refreshToken: string
  user: { id: number; email: string }
}

/** What the journeys share: accounts and rows made once per target, outside any measurement. */
interface Fixture {
  tag: string
  admin: Session
  memberEmail: string
  passwordUser: { email: string; passwords: [string, string]; current: 0 | 1 }
  listCursor: string
  patchUserId: number
}

interface HttpCall {
  method: string
  path: string
  headers?: Record<string, string>
  body?: unknown
}

interface Journey {
  name: string
  /** Untimed work before each run (an account to delete, a fresh refresh token), sent straight to the server. */
  prepare?: (fixture: Fixture, direct: Client) => Promise<HttpCall>
  call?: (fixture: Fixture) => HttpCall
  /** Untimed bookkeeping after a run (the password now in force). */
  after?: (fixture: Fixture, status: number) => void
}

const PASSWORD = 'bench-password-1'
let sequence = 0
const unique = (fixture: Fixture, what: string) => `${what}-${fixture.tag}-${++sequence}@example.test`
const bearer = (session: Session) => ({ Authorization: `Bearer ${session.accessToken}` })
const cookie = (session: Session) => ({ Cookie: `__Host-edgeline_session=${session.accessToken}` })

const JOURNEYS: Journey[] = [
  // Page views: signed in, as the issue measured them; /login and /signup as the signed-out visitor who uses them.
  { name: 'page /', call: (f) => ({ method: 'GET', path: '/', headers: cookie(f.admin) }) },
  {
    name: 'page /users?q=…&cursor=…',
    call: (f) => ({
      method: 'GET',
      path: `/users?q=${f.tag}&cursor=${encodeURIComponent(f.listCursor)}`,
      headers: cookie(f.admin),
    }),
  },
  { name: 'page /account', call: (f) => ({ method: 'GET', path: '/account', headers: cookie(f.admin) }) },
  { name: 'page /login (signed out)', call: () => ({ method: 'GET', path: '/login' }) },
  { name: 'page /signup (signed out)', call: () => ({ method: 'GET', path: '/signup' }) },
  {
    name: 'page not found',
    call: (f) => ({ method: 'GET', path: '/no-such-page', headers: cookie(f.admin) }),
  },
  // API calls, with a Bearer token as API clients send it.
  { name: 'GET /api/users', call: (f) => ({ method: 'GET', path: '/api/users', headers: bearer(f.admin) }) },
  {
    name: 'GET /api/users/:id',
    call: (f) => ({ method: 'GET', path: `/api/users/${f.admin.user.id}`, headers: bearer(f.admin) }),
  },
  {
    name: 'POST /api/users',
    call: (f) => ({
      method: 'POST',
      path: '/api/users',
      headers: bearer(f.admin),
      body: { name: 'Bench Created', email: unique(f, 'created') },
    }),
  },
  {
    name: 'PATCH /api/users/:id',
    call: (f) => ({
      method: 'PATCH',
      path: `/api/users/${f.patchUserId}`,
      headers: bearer(f.admin),
      body: { name: `Bench Renamed ${++sequence}` },
    }),
  },
  {
    name: 'DELETE /api/users/:id',
    prepare: async (f, direct) => {
      const created = await direct.json<{ id: number }>({
        method: 'POST',
        path: '/api/users',
        headers: bearer(f.admin),
        body: { name: 'Bench Doomed', email: unique(f, 'doomed') },
      })
      return { method: 'DELETE', path: `/api/users/${created.id}`, headers: bearer(f.admin) }
    },
  },
  {
    name: 'POST /api/auth/login',
    call: (f) => ({
      method: 'POST',
      path: '/api/auth/login',
      body: { email: f.memberEmail, password: PASSWORD },
    }),
  },
  {
    name: 'POST /api/auth/signup',
    call: (f) => ({
      method: 'POST',
      path: '/api/auth/signup',
      body: { name: 'Bench Signup', email: unique(f, 'signup'), password: PASSWORD },
    }),
  },
  {
    name: 'POST /api/auth/refresh',
    prepare: async (f, direct) => {
      const session = await direct.logIn(f.memberEmail, PASSWORD)
      return { method: 'POST', path: '/api/auth/refresh', body: { refreshToken: session.refreshToken } }
    },
  },
  {
    name: 'POST /api/auth/logout',
    prepare: async (f, direct) => {
      const session = await direct.logIn(f.memberEmail, PASSWORD)
      return { method: 'POST', path: '/api/auth/logout', body: { refreshToken: session.refreshToken } }
    },
  },
  {
    name: 'POST /api/auth/password',
    prepare: async (f, direct) => {
      const { email, passwords, current } = f.passwordUser
      const session = await direct.logIn(email, passwords[current])
      return {
        method: 'POST',
        path: '/api/auth/password',
        headers: bearer(session),
        body: { currentPassword: passwords[current], newPassword: passwords[current === 0 ? 1 : 0] },
      }
    },
    after: (f, status) => {
      if (status === 200) f.passwordUser.current = f.passwordUser.current === 0 ? 1 : 0
    },
  },
  // Answers that need no data.
  { name: '401 (no session): GET /api/users', call: () => ({ method: 'GET', path: '/api/users' }) },
  { name: '405: POST /api/hello', call: () => ({ method: 'POST', path: '/api/hello' }) },
  { name: 'GET /api/hello', call: () => ({ method: 'GET', path: '/api/hello' }) },
  { name: 'GET /api/openapi.json', call: () => ({ method: 'GET', path: '/api/openapi.json' }) },
]

/** HTTP to one origin, every request tagged with a request id of ours so the access log tells ours from the app's. */
class Client {
  constructor(private readonly origin: string) {}

  async send(call: HttpCall): Promise<Response> {
    const headers: Record<string, string> = { 'X-Request-Id': `bench-${++sequence}`, ...call.headers }
    if (call.body !== undefined) headers['Content-Type'] = 'application/json'
    return fetch(`${this.origin}${call.path}`, {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      redirect: 'manual',
    })
  }

  async json<T>(call: HttpCall): Promise<T> {
    const response = await this.send(call)
    const text = await response.text()
    if (!response.ok) throw new Error(`${call.method} ${call.path} answered ${response.status}: ${text}`)
    return JSON.parse(text) as T
  }

  logIn(email: string, password: string): Promise<Session> {
    return this.json<Session>({ method: 'POST', path: '/api/auth/login', body: { email, password } })
  }
}

const children: ChildProcess[] = []

/** Starts a server process; resolves once its output matches, and keeps collecting its access-log lines. */
function start(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  accessLog: string[],
): Promise<void> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    let output = ''
    let pending = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        if (line.startsWith('{') && line.includes('"msg":"request"')) accessLog.push(line)
        else if (output.length < 20_000) output += `${line}\n`
      }
      if (ready.test(output)) resolve()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      if (output.length < 20_000) output += chunk.toString()
    })
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Accounts and rows for the journeys, made through the API itself; the first admin as the README says to. */
async function makeFixture(direct: Client, postgresUrl: string): Promise<Fixture> {
  const tag = `lat${Date.now().toString(36)}`
  const fixture = { tag } as Fixture
  const signUp = (what: string, password = PASSWORD) =>
    direct.json<Session>({
      method: 'POST',
      path: '/api/auth/signup',
      body: { name: `Bench ${what}`, email: unique(fixture, what), password },
    })
  const admin = await signUp('admin')
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  try {
    await client.query(`update users set role = 'admin' where id = $1`, [admin.user.id])
  } finally {
    await client.end()
  }
  // The role travels in the token: log in again to carry it.
  fixture.admin = await direct.logIn(admin.user.email, PASSWORD)
  fixture.memberEmail = (await signUp('member')).user.email
  const passwords: [string, string] = ['bench-password-a', 'bench-password-b']
  fixture.passwordUser = { email: (await signUp('password', passwords[0])).user.email, passwords, current: 0 }
  const listed: { id: number }[] = []
  for (let i = 0; i < 4; i++) {
    listed.push(
      await direct.json<{ id: number }>({
        method: 'POST',
        path: '/api/users',
        headers: bearer(fixture.admin),
        body: { name: `Bench ${tag} ${i}`, email: unique(fixture, 'listed') },
      }),
    )
  }
  fixture.patchUserId = listed[0]?.id ?? 0
  const firstPage = await direct.json<{ nextCursor: string | null }>({
    method: 'GET',
    path: `/api/users?q=${tag}&limit=2`,
    headers: bearer(fixture.admin),
  })
  if (!firstPage.nextCursor) throw new Error('the search found one page only: no cursor to follow')
  fixture.listCursor = firstPage.nextCursor
  return fixture
}

interface PlacementFigures {
  latencyMs: number[]
  database: DatabaseRequests[]
}

interface JourneyFigures {
  statuses: Set<number>
  /** The app's HTTP requests to its own API, per run (from the access log). */
  internalRequests: number
  byPlacement: Map<string, PlacementFigures>
}

/**
 * Every journey in turn; within a journey, runs are interleaved across placements (run 1 at every placement, then
 * run 2…), so a burst of load on a shared machine falls on every placement alike rather than on one column.
 */
async function measureTarget(
  target: string,
  origin: string,
  accessLog: string[],
  proxy: Awaited<ReturnType<typeof startDelayingProxy>>,
  database: Awaited<ReturnType<typeof startDistantDatabase>>,
  placements: Placement[],
): Promise<Map<string, JourneyFigures>> {
  const direct = new Client(origin)
  const distant = new Client(proxy.origin)
  database.roundTripMs = 0
  const fixture = await makeFixture(direct, values.postgres)
  const results = new Map<string, JourneyFigures>()
  for (const journey of JOURNEYS) {
    const figures: JourneyFigures = { statuses: new Set(), internalRequests: 0, byPlacement: new Map() }
    for (const placement of placements)
      figures.byPlacement.set(placement.name, { latencyMs: [], database: [] })
    // A fresh admin session per journey: the access token lives 15 minutes.
    database.roundTripMs = 0
    fixture.admin = await direct.logIn(fixture.admin.user.email, PASSWORD)
    const logMark = accessLog.length
    // Run 0 warms up (a new connection through the proxy, a gateway's first request) and is not kept.
    for (let index = 0; index <= runs; index++) {
      for (const placement of placements) {
        // Preparation is not measured: it meets the database with no distance, to keep the bench short.
        database.roundTripMs = 0
        const call = journey.prepare ? await journey.prepare(fixture, direct) : journey.call?.(fixture)
        if (!call) throw new Error(`${journey.name} has neither prepare nor call`)
        proxy.oneWayMs = placement.userToFunctionMs / 2
        database.roundTripMs = placement.functionToDatabaseMs
        const since = performance.now()
        const response = await distant.send(call)
        await response.arrayBuffer()
        const latency = performance.now() - since
        const requests = database.requestsSince(since)
        journey.after?.(fixture, response.status)
        if (index === 0) continue
        const at = figures.byPlacement.get(placement.name) as PlacementFigures
        at.latencyMs.push(latency)
        at.database.push(requests)
        figures.statuses.add(response.status)
      }
    }
    await sleep(ACCESS_LOG_FLUSH_MS)
    const internal = accessLog.slice(logMark).filter((line) => !/"requestId":"bench-/.test(line)).length
    figures.internalRequests = internal / ((runs + 1) * placements.length)
    results.set(journey.name, figures)
    console.error(
      `  ${target} · ${journey.name}: ${placements
        .map((p) => median(figures.byPlacement.get(p.name)?.latencyMs ?? []).toFixed(0))
        .join(' / ')} ms`,
    )
  }
  return results
}

/** One figure, or its range when the runs disagreed (a count that varies is itself a finding). */
function spread(numbers: number[]): string {
  const low = Math.min(...numbers)
  const high = Math.max(...numbers)
  return low === high ? String(low) : `${low}–${high}`
}

function printTable(target: string, placements: Placement[], results: Map<string, JourneyFigures>) {
  // Whether two requests overlapped is clearest where each lasts longest: serial counts come from the placements
  // with the farthest database (near it, two requests sent together may still happen not to overlap).
  const farthest = Math.max(...placements.map((p) => p.functionToDatabaseMs))
  const far = placements.filter((p) => p.functionToDatabaseMs === farthest)
  const header = [
    'journey',
    'status',
    'DB round trips: serial (all)',
    'internal HTTP',
    ...placements.map((p) => `${p.name} ms`),
  ]
  const rows = JOURNEYS.map((journey) => {
    const figures = results.get(journey.name)
    const at = (p: Placement) => figures?.byPlacement.get(p.name)
    const serial = spread(far.flatMap((p) => at(p)?.database.map((d) => d.serial) ?? []))
    const total = spread(placements.flatMap((p) => at(p)?.database.map((d) => d.total) ?? []))
    return [
      journey.name,
      [...(figures?.statuses ?? [])].sort().join('/'),
      serial === total ? serial : `${serial} (${total})`,
      String(Math.round((figures?.internalRequests ?? 0) * 10) / 10),
      ...placements.map((p) => median(at(p)?.latencyMs ?? []).toFixed(0)),
    ]
  })
  console.log(`\n### ${target}\n`)
  console.log(`| ${header.join(' | ')} |`)
  console.log(`|${header.map(() => '---').join('|')}|`)
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
}

async function main() {
  const targets = values.targets.split(',').map((name) => name.trim())
  const placements = PLACEMENTS.filter((p) => p.name.toLowerCase().includes(values.placement.toLowerCase()))
  const env = { DATABASE_URL: values.postgres, JWT_SECRET }
  console.error('migrating…')
  await run('node', ['.next/standalone/server.mjs', 'migrate'], env)
  const database = await startDistantDatabase({ roundTripMs: 0 })
  const serverEnv = { ...env, SQL_GATEWAY_ENDPOINT: database.url }
  const tables: [string, Map<string, JourneyFigures>][] = []
  try {
    for (const target of targets) {
      const port = await freePort()
      const accessLog: string[] = []
      console.error(`starting ${target}…`)
      if (target === 'production') {
        await start(
          'node',
          ['.next/standalone/server.mjs', '--port', String(port), '--hostname', '127.0.0.1'],
          serverEnv,
          /Edgeline\s+http/,
          accessLog,
        )
      } else if (target === 'next') {
        // Pages call the API at PAGES_API_ORIGIN: the server itself, not through the proxy (the user's distance).
        await start(
          './node_modules/.bin/next',
          ['start', '--port', String(port), '--hostname', '127.0.0.1'],
          { ...serverEnv, PAGES_API_ORIGIN: `http://127.0.0.1:${port}` },
          /Ready/i,
          accessLog,
        )
      } else {
        throw new Error(`unknown target ${target}: production or next`)
      }
      const proxy = await startDelayingProxy({ host: '127.0.0.1', port }, { oneWayMs: 0 })
      try {
        tables.push([
          target,
          await measureTarget(target, `http://127.0.0.1:${port}`, accessLog, proxy, database, placements),
        ])
      } finally {
        await proxy.close()
        children.pop()?.kill('SIGTERM')
      }
    }
  } finally {
    await database.close()
  }

  console.log(
    `\n${new Date().toISOString().slice(0, 10)} · node ${process.version} · ${cpus().length} cores · ` +
      `median of ${runs} runs (after one warm-up) per journey and placement, interleaved; ` +
      'the database in Virginia (us-east-1)',
  )
  console.log('\nplacement: user↔function round trip / function↔database round trip (ms)')
  for (const p of placements) console.log(`  ${p.name}: ${p.userToFunctionMs} / ${p.functionToDatabaseMs}`)
  for (const [target, results] of tables) printTable(target, placements, results)
}

try {
  await main()
} finally {
  for (const child of children) child.kill('SIGTERM')
}
