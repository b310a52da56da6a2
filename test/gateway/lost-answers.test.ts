/**
 * Requests whose answer is lost AFTER the statement reached Postgres, the one moment at which a retry would repeat a
 * write: at the gateway (a proxy between it and Postgres forwards the request, then cuts the connection) and at the
 * driver (the app's fetch to the gateway fails after the gateway ran it). A write is applied at most once and
 * answered as documented (503: it may or may not have been applied); a lone read is sent once more and succeeds.
 */
import { neon, neonConfig } from '@neondatabase/serverless'
import { sql as drizzleSql } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDatabase, type SqlFetch } from '../../db/client'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { createApp } from '../../edge/app'
import { parseConfig } from '../../edge/env'
import { type CuttingProxy, startCuttingProxy } from '../support/cutting-proxy'
import { backends, routeToTheGateways, sqlEndpoint, uniqueName } from './backends'

const realPostgres = backends.filter((backend) => backend.name === 'real Postgres')

describe.each(realPostgres)('the gateway when its connection to $name is cut after forwarding', ({ url }) => {
  let proxy: CuttingProxy
  let gateway: SqlGateway
  let direct: pg.Client
  const table = uniqueName('lost_answers')
  let sql: ReturnType<typeof neon>

  beforeAll(async () => {
    const target = new URL(url)
    proxy = await startCuttingProxy({ host: target.hostname, port: Number(target.port || 5432) })
    gateway = await startSqlGateway({ port: 0 })
    neonConfig.fetchEndpoint = gateway.url
    const viaProxy = new URL(url)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(proxy.port)
    sql = neon(viaProxy.toString())
    direct = new pg.Client({ connectionString: url })
    await direct.connect()
    await direct.query(`CREATE TABLE ${table} (tag text NOT NULL)`)
  })

  afterAll(async () => {
    neonConfig.fetchEndpoint = routeToTheGateways
    await direct?.query(`DROP TABLE IF EXISTS ${table}`)
    await direct?.end()
    await gateway?.close()
    await proxy?.close()
  })

  /** Rows with `tag`, once Postgres has surely run what it received (it runs a forwarded request on its own). */
  async function settledCount(tag: string): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 300))
    const { rows } = await direct.query(`SELECT count(*)::int AS n FROM ${table} WHERE tag = $1`, [tag])
    return rows[0].n
  }

  it('fails an INSERT whose answer was lost, and never sends it again: the row is there once', async () => {
    const tag = uniqueName('insert')
    proxy.cutAfterForwarding(tag)
    const cutsBefore = proxy.cuts()
    await expect(sql.query(`INSERT INTO ${table} (tag) VALUES ('${tag}')`)).rejects.toMatchObject({
      name: 'NeonDbError',
      message: expect.stringMatching(
        /^Server error \(HTTP status 500\): .*Couldn.t connect to compute node: /,
      ),
    })
    expect(proxy.cuts()).toBe(cutsBefore + 1)
    expect(await settledCount(tag)).toBe(1)
  })

  it('fails a batch whose answer was lost, and never sends it again: each row is there once', async () => {
    const tag = uniqueName('batch')
    proxy.cutAfterForwarding(tag)
    await expect(
      sql.transaction([
        sql.query(`INSERT INTO ${table} (tag) VALUES ('${tag}')`),
        sql.query(`INSERT INTO ${table} (tag) VALUES ('${tag}')`),
      ]),
    ).rejects.toMatchObject({ name: 'NeonDbError' })
    // Both inserts and the COMMIT went out in the one write that was forwarded: applied once, as a whole.
    expect(await settledCount(tag)).toBe(2)
  })

  it('sends a lone SELECT whose answer was lost once more, on a fresh connection, and answers it', async () => {
    const tag = uniqueName('select')
    await direct.query(`INSERT INTO ${table} (tag) VALUES ($1)`, [tag])
    proxy.cutAfterForwarding(tag)
    const cutsBefore = proxy.cuts()
    const rows = await sql.query(`SELECT tag FROM ${table} WHERE tag = '${tag}'`)
    expect(rows).toEqual([{ tag }])
    expect(proxy.cuts()).toBe(cutsBefore + 1)
  })
})

// The app needs its tables: the database the run migrated (real Postgres when TEST_DATABASE_URL is set).
describe('the app when the answer from the gateway is lost', () => {
  const url = inject('databaseUrl')
  /** The next driver request whose body contains the marker reaches the gateway and runs; its answer is dropped. */
  let dropAnswerTo: string | undefined
  let dropped = 0
  const losingFetch: SqlFetch = async (input, init) => {
    const response = await fetch(input, init)
    if (dropAnswerTo && typeof init.body === 'string' && init.body.includes(dropAnswerTo)) {
      dropAnswerTo = undefined
      dropped += 1
      await response.arrayBuffer()
      throw new TypeError('fetch failed')
    }
    return response
  }
  const config = parseConfig({
    DATABASE_URL: url,
    SQL_GATEWAY_ENDPOINT: sqlEndpoint,
    JWT_SECRET: 'lost-answers-secret-of-at-least-32-bytes',
  })
  const db = createDatabase({ ...config, fetchFunction: losingFetch })
  const app = createApp(config, { db, log: () => undefined })

  async function signUp(email: string) {
    return app.request('/api/auth/signup', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Lost', email, password: 'long-enough' }),
    })
  }

  async function accountsWith(email: string): Promise<number> {
    const { rows } = await db.execute<{ n: number }>(
      drizzleSql`select count(*)::int as n from users where email = ${email}`,
    )
    return Number(rows[0]?.n)
  }

  it('answers a sign-up whose answer was lost with 503 (it may have been applied) and creates the account once', async () => {
    const email = `${uniqueName('lost')}@example.test`
    dropAnswerTo = email
    const droppedBefore = dropped
    const response = await signUp(email)
    expect(dropped).toBe(droppedBefore + 1)
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ type: '/problems/database-unavailable' })
    expect(await accountsWith(email)).toBe(1)
  })

  it('answers a read whose answer was lost from a second try: 200, as if nothing happened', async () => {
    // Letters and digits only: a search term's `_` reaches the SQL escaped, and the marker must appear verbatim.
    const marker = `read${Date.now()}${Math.random().toString(36).slice(2, 8)}`
    const email = `${marker}@example.test`
    const created = await signUp(email)
    expect(created.status).toBe(201)
    const { accessToken, user } = (await created.json()) as { accessToken: string; user: { id: number } }
    dropAnswerTo = marker
    const droppedBefore = dropped
    const read = await app.request(`/api/users?q=${marker}`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    })
    expect(dropped).toBe(droppedBefore + 1)
    expect(read.status).toBe(200)
    expect(((await read.json()) as { data: { id: number }[] }).data.map((found) => found.id)).toEqual([
      user.id,
    ])
  })
})
