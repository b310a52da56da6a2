/**
 * The API while its database goes away and comes back, for real: the gateway stopped and started again, a
 * Postgres database that refuses connections or ends every connection, a pool with no free connection. Each answer is a timely 503 with
 * Retry-After, and the first request after the database returns succeeds.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { migrateDatabase } from '../../db/migrate'
import { createApp } from '../../edge/app'
import { parseConfig } from '../../edge/env'
import { DATABASE_RETRY_AFTER_SECONDS } from '../../edge/problem'
import { backends, uniqueName } from './backends'

const SECRET = 'outage-test-secret-of-at-least-32-bytes'
// Only the real-Postgres backend (when TEST_DATABASE_URL is set, as in CI), as the conformance suite does it.
const realPostgresBackends = backends.filter((backend) => backend.name === 'real Postgres')
const scratch = mkdtempSync(join(tmpdir(), 'edgeline-outage-'))

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function appOn(databaseUrl: string, gatewayUrl: string) {
  const config = parseConfig({
    DATABASE_URL: databaseUrl,
    JWT_SECRET: SECRET,
    SQL_GATEWAY_ENDPOINT: gatewayUrl,
  })
  return createApp(config, { db: createDatabase(config), log: () => undefined })
}

async function signUp(app: ReturnType<typeof appOn>) {
  const response = await app.request('/api/auth/signup', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: 'Outage',
      email: `${uniqueName('outage')}@example.test`,
      password: 'long-enough',
    }),
  })
  expect(response.status).toBe(201)
  const session = (await response.json()) as { accessToken: string; user: { id: number } }
  return { headers: { Authorization: `Bearer ${session.accessToken}` }, id: session.user.id }
}

async function expectUnavailable(response: Response) {
  expect(response.status).toBe(503)
  expect(response.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS))
  expect(await response.json()).toMatchObject({ type: '/problems/database-unavailable', status: 503 })
}

describe.each(backends)('the API while the gateway to $name stops and starts again', ({ name, url }) => {
  // Starting the embedded database twice (a data folder, then reopening it) takes seconds on a busy machine.
  it('answers 503 with Retry-After while it is down, and serves the first request after it is back', {
    timeout: 90_000,
  }, async () => {
    const options = { port: 0, embedded: { dataDir: join(scratch, name.replaceAll(' ', '-')) } }
    let gateway: SqlGateway = await startSqlGateway(options)
    try {
      await migrateDatabase(url, gateway.url)
      const app = appOn(url, gateway.url)
      const { headers, id } = await signUp(app)

      await gateway.close()
      await expectUnavailable(await app.request(`/api/users/${id}`, { headers }))
      await expectUnavailable(
        await app.request(`/api/users/${id}`, {
          method: 'PATCH',
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: 'Never' }),
        }),
      )

      gateway = await startSqlGateway({ ...options, port: gateway.port })
      const read = await app.request(`/api/users/${id}`, { headers })
      expect(read.status).toBe(200)
      expect(((await read.json()) as { name: string }).name).toBe('Outage')
    } finally {
      await gateway.close()
    }
  })
})

// Refusing connections and running out of them are a real server's behaviours: CI always sets TEST_DATABASE_URL.
describe.each(realPostgresBackends)('the API while $name refuses connections', ({ url: realPostgres }) => {
  it('answers 503 with Retry-After while the database refuses them, and heals when it accepts them again', async () => {
    const admin = new pg.Client({ connectionString: realPostgres })
    await admin.connect()
    const database = uniqueName('outage')
    const target = new URL(realPostgres)
    target.pathname = `/${database}`
    const gateway = await startSqlGateway({ port: 0 })
    try {
      await admin.query(`create database ${database}`)
      await migrateDatabase(target.toString(), gateway.url)
      const app = appOn(target.toString(), gateway.url)
      const { headers, id } = await signUp(app)

      await admin.query(`alter database ${database} allow_connections false`)
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [database],
      )
      await expectUnavailable(await app.request(`/api/users/${id}`, { headers }))
      await expectUnavailable(await app.request('/api/users', { headers }))

      await admin.query(`alter database ${database} allow_connections true`)
      expect((await app.request(`/api/users/${id}`, { headers })).status).toBe(200)
      expect((await app.request('/api/health')).status).toBe(200)
    } finally {
      await gateway.close()
      await admin.query(`drop database if exists ${database} with (force)`)
      await admin.end()
    }
  })

  it('costs no failed read or write when Postgres ends every pooled connection (a restart), round after round', async () => {
    const applicationName = uniqueName('restart')
    const target = new URL(realPostgres)
    target.searchParams.set('application_name', applicationName)
    const gateway = await startSqlGateway({ port: 0, poolSize: 4 })
    const admin = new pg.Client({ connectionString: realPostgres })
    await admin.connect()
    try {
      const app = appOn(target.toString(), gateway.url)
      const { headers, id } = await signUp(app)
      for (let round = 1; round <= 5; round++) {
        // Every pooled connection in use once, then idle: all of them are killed while the pool holds them.
        await Promise.all(Array.from({ length: 4 }, () => app.request(`/api/users/${id}`, { headers })))
        const { rowCount } = await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
          [applicationName],
        )
        expect(rowCount, `round ${round}`).toBeGreaterThan(0)
        const read = await app.request(`/api/users/${id}`, { headers })
        expect(read.status, `round ${round}: read`).toBe(200)
        const write = await app.request(`/api/users/${id}`, {
          method: 'PATCH',
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: `Round ${round}` }),
        })
        expect(write.status, `round ${round}: write`).toBe(200)
      }
    } finally {
      await admin.end()
      await gateway.close()
    }
  })

  it('answers 503 at once when every pooled connection is busy longer than the pool wait, then serves again', async () => {
    const gateway = await startSqlGateway({ port: 0, poolSize: 1, poolTimeoutMs: 300 })
    try {
      const app = appOn(realPostgres, gateway.url)
      const { headers, id } = await signUp(app)
      // The pool's only connection, busy for 1.5 s (then(): a drizzle query starts only when asked for its result).
      const busy = createDatabase({ databaseUrl: realPostgres, sqlGatewayEndpoint: gateway.url })
      const holding = busy.execute(sql`select pg_sleep(1.5)`).then(() => 'done')
      await new Promise((resolve) => setTimeout(resolve, 200))
      await expectUnavailable(await app.request(`/api/users/${id}`, { headers }))
      expect(await holding).toBe('done')
      expect((await app.request(`/api/users/${id}`, { headers })).status).toBe(200)
    } finally {
      await gateway.close()
    }
  })
})
