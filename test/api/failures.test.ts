import { sql } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { DATABASE_RETRY_AFTER_SECONDS } from '../../edge/problem'
import {
  CONNECT_ERRORS,
  type NeonErrorEndpoint,
  startNeonErrorEndpoint,
} from '../support/neon-error-endpoint'
import {
  createAccount,
  createTestApp,
  createUserViaApi,
  jsonInit,
  type ProblemBody,
  signTestToken,
  testConfig,
  testDatabase,
  uniqueEmail,
  withToken,
} from './support'

/**
 * A database that refuses every connection, as a stopped or unreachable Postgres does: the run's real gateway
 * tries to connect to a port where nothing listens, and answers Neon's 500 "Couldn't connect to compute node".
 */
function refusingDatabase() {
  return createDatabase({
    databaseUrl: 'postgresql://postgres@127.0.0.1:1/edgeline',
    sqlGatewayEndpoint: testConfig().sqlGatewayEndpoint,
  })
}

/** The stand-in endpoint of the test running now, if it has one. */
let standIn: NeonErrorEndpoint | undefined
afterEach(async () => {
  await standIn?.close()
  standIn = undefined
})

/**
 * A database whose every query Postgres refuses at connection time, answered as Neon answers it (HTTP 400 with the
 * Postgres fields): a stand-in endpoint, since this DATABASE_URL's host is never reached.
 */
async function refusedDatabase(body: (typeof CONNECT_ERRORS)[keyof typeof CONNECT_ERRORS]) {
  standIn = await startNeonErrorEndpoint(400, body)
  return createDatabase({
    databaseUrl: 'postgresql://app:s3cret-password@db.example.test/appp',
    sqlGatewayEndpoint: standIn.url,
  })
}

/** Every data route, signed in as an admin (tokens need no database), and what each would answer otherwise. */
const DATA_REQUESTS: [string, RequestInit?][] = [
  ['/api/users'],
  ['/api/users/1'],
  ['/api/users', jsonInit('POST', { name: 'Nobody', email: 'nobody@example.test' })],
  ['/api/users/1', jsonInit('PATCH', { name: 'Nobody' })],
  ['/api/users/1', { method: 'DELETE' }],
  ['/api/auth/me'],
  ['/api/auth/login', jsonInit('POST', { email: 'nobody@example.test', password: 'long-enough' })],
  ['/api/auth/signup', jsonInit('POST', { name: 'N', email: 'n@example.test', password: 'long-enough' })],
  ['/api/auth/refresh', jsonInit('POST', { refreshToken: 'x'.repeat(43) })],
]

describe('GET /api/health', () => {
  it('answers 200 with the database status and round-trip time', async () => {
    const { app } = createTestApp()
    const response = await app.request('/api/health')
    expect(response.status).toBe(200)
    const body = (await response.json()) as {
      status: string
      database: { status: string; roundTripMs: number }
    }
    expect(body).toEqual({ status: 'ok', database: { status: 'up', roundTripMs: expect.any(Number) } })
    expect(body.database.roundTripMs).toBeGreaterThan(0)
  })

  it('answers a 503 problem with Retry-After when the database refuses connections', async () => {
    const { app, logs } = createTestApp({ db: refusingDatabase() })
    const response = await app.request('/api/health')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS))
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(await response.json()).toMatchObject({ type: '/problems/database-unavailable', status: 503 })
    expect(logs.at(-1)).toMatchObject({
      level: 'error',
      status: 503,
      error: { cause: expect.stringMatching(/Couldn't connect to compute node/) },
    })
  })
})

describe('GET /api/health with a DATABASE_URL Postgres refuses', () => {
  it.each([
    [
      'database does not exist',
      CONNECT_ERRORS.unknownDatabase,
      'The database named by DATABASE_URL does not exist.',
    ],
    [
      'role does not exist',
      CONNECT_ERRORS.unknownRole,
      'The database refused the credentials in DATABASE_URL',
    ],
    [
      'password is wrong',
      CONNECT_ERRORS.wrongPassword,
      'The database refused the credentials in DATABASE_URL',
    ],
    [
      'role may not connect',
      CONNECT_ERRORS.noConnectPrivilege,
      'The role in DATABASE_URL is not permitted to connect to its database',
    ],
  ])(
    'answers a 503 database-misconfigured problem without Retry-After when the %s',
    async (_, body, detail) => {
      const { app, logs } = createTestApp({ db: await refusedDatabase(body) })
      const response = await app.request('/api/health')
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBeNull()
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      const text = await response.text()
      expect(JSON.parse(text)).toMatchObject({
        type: '/problems/database-misconfigured',
        status: 503,
        detail: expect.stringContaining(detail),
      })
      // A public endpoint: the category, never the names in DATABASE_URL (nor Postgres's message, which has them).
      expect(text).not.toMatch(/appp|"app"|s3cret|db\.example|does not exist"|FATAL|3D000|28P01|28000|42501/)
      // The operator finds Postgres's own words in the log line.
      expect(logs.at(-1)).toMatchObject({
        level: 'error',
        status: 503,
        error: { cause: expect.stringContaining(`NeonDbError: ${body.message}`) },
      })
    },
  )
})

describe('a DATABASE_URL Postgres refuses', () => {
  it.each(DATA_REQUESTS)(
    'answers %s with a logged 500 internal-error, not a 503 to retry',
    async (path, init) => {
      const { app, logs } = createTestApp({ db: await refusedDatabase(CONNECT_ERRORS.unknownDatabase) })
      const client = withToken(app, () => signTestToken({ userId: '1', role: 'admin' }))
      const response = await client.request(path, init)
      expect(response.status).toBe(500)
      expect(response.headers.get('retry-after')).toBeNull()
      const text = await response.text()
      expect(JSON.parse(text)).toMatchObject({ type: '/problems/internal-error', status: 500 })
      expect(text).not.toMatch(/appp|does not exist|DATABASE_URL|neon|drizzle/i)
      expect(standIn?.requests()).toBeGreaterThan(0)
      expect(logs.at(-1)).toMatchObject({
        level: 'error',
        status: 500,
        error: { cause: expect.stringContaining('NeonDbError: database "appp" does not exist') },
      })
    },
  )
})

describe('a database that refuses connections', () => {
  it.each(DATA_REQUESTS)('answers %s with a 503 problem and Retry-After, never a 500', async (path, init) => {
    const { app, logs } = createTestApp({ db: refusingDatabase() })
    const client = withToken(app, () => signTestToken({ userId: '1', role: 'admin' }))
    const response = await client.request(path, init)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS))
    const text = await response.text()
    expect(JSON.parse(text)).toMatchObject({ type: '/problems/database-unavailable', status: 503 })
    expect(text).not.toMatch(/compute node|127\.0\.0\.1|select|neon|drizzle/i)
    // The cause is kept for the operator, in the log line.
    expect(logs.at(-1)?.error?.cause).toMatch(/Couldn't connect to compute node/)
  })
})

describe('a database call past its deadline', () => {
  it('answers a 504 problem within the deadline while a lock holds the row, cancels the write, and heals', async () => {
    const owner = testDatabase()
    const { app: server } = createTestApp()
    const admin = withToken(server, (await createAccount(server, 'admin')).accessToken)
    const user = await createUserViaApi(admin, { name: 'Locked', email: uniqueEmail('locked') })
    // Another session holds the row for 1.5 s (on the embedded database, which runs one statement at a time,
    // everything waits behind it).
    const holding = owner.batch([
      owner.execute(sql`select id from users where id = ${user.id} for update`),
      owner.execute(sql`select pg_sleep(1.5)`),
    ])
    await new Promise((resolve) => setTimeout(resolve, 200))

    const impatient = createDatabase({
      databaseUrl: testConfig().databaseUrl,
      sqlGatewayEndpoint: testConfig().sqlGatewayEndpoint,
      timeoutMs: 300,
    })
    const { app, logs } = createTestApp({ db: impatient })
    const client = withToken(app, () => signTestToken({ userId: String(user.id), role: 'admin' }))
    const response = await client.request(`/api/users/${user.id}`, jsonInit('PATCH', { name: 'Too late' }))
    expect(response.status).toBe(504)
    expect(response.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS))
    expect(await response.json()).toMatchObject({ type: '/problems/database-timeout', status: 504 })
    expect(logs.at(-1)?.error?.cause).toMatch(/TimeoutError/)

    await holding
    // The given-up update was cancelled, not applied later behind the client's back.
    const read = await admin.request(`/api/users/${user.id}`)
    expect(((await read.json()) as { name: string }).name).toBe('Locked')
    // And the next request, the lock gone, succeeds with the same short deadline.
    const retried = await client.request(`/api/users/${user.id}`, jsonInit('PATCH', { name: 'In time' }))
    expect(retried.status).toBe(200)
  })
})

describe('unexpected errors', () => {
  it('answer 500 without internals and log the cause with the request id', async () => {
    // A client whose requests lose the driver's own headers (as a misconfiguration would): the gateway refuses
    // them as malformed, which is nobody's outage, so nothing but a 500 fits.
    const config = testConfig()
    const misconfigured = createDatabase({
      databaseUrl: config.databaseUrl,
      sqlGatewayEndpoint: config.sqlGatewayEndpoint,
      fetchOptions: { headers: {} },
    })
    const { app, logs } = createTestApp({ db: misconfigured })
    // Signed in without the database: a token signed with the app's secret is all it takes.
    const client = withToken(app, () => signTestToken({ userId: '1', role: 'user' }))
    const response = await client.request('/api/users?q=needle-in-the-log', {
      headers: { 'X-Request-Id': 'boom-1' },
    })
    expect(response.status).toBe(500)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    const text = await response.text()
    const problem = JSON.parse(text) as ProblemBody
    expect(problem).toMatchObject({ type: '/problems/internal-error', status: 500, requestId: 'boom-1' })
    expect(text).not.toMatch(/select|failed query|header|stack|neon|drizzle/i)
    expect(logs.at(-1)).toMatchObject({
      level: 'error',
      requestId: 'boom-1',
      status: 500,
      error: {
        message: expect.stringMatching(/Failed query/),
        cause: expect.stringMatching(/NeonDbError: invalid header: neon-connection-string/),
      },
    })
    // The statement is kept (it says what failed), its values never: they can be emails or token hashes.
    const logged = JSON.stringify(logs.at(-1))
    expect(logged).toContain('params: [redacted]')
    expect(logged).not.toContain('needle-in-the-log')
  })
})
