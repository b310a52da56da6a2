/**
 * What the gateway does on real Postgres for a request whose client went away, and with its statement timeout: the
 * statement is cancelled on the server (not only the HTTP answer dropped), an abandoned batch never commits, a request
 * abandoned while it waited for a connection never runs, and SQL_GATEWAY_STATEMENT_TIMEOUT_MS is every session's
 * default. Each gateway here runs in this test file's process, so mutation testing reaches its code.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { backends, uniqueName } from './backends'

const realPostgres = backends.filter((backend) => backend.name === 'real Postgres')

/** The gateway's answer to one query, as the driver would post it (`signal` to abandon it). */
async function post(gateway: SqlGateway, url: string, query: string, signal?: AbortSignal) {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'Neon-Connection-String': url, 'Neon-Array-Mode': 'true', 'Content-Type': 'application/json' },
    body: JSON.stringify({ query, params: [] }),
    signal,
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe.skipIf(realPostgres.length === 0)('a request abandoned by its client on real Postgres', () => {
  const url = realPostgres[0]?.url ?? ''
  let gateway: SqlGateway
  /** A gateway with one connection, for requests that must wait for it. */
  let single: SqlGateway
  let direct: pg.Client
  const table = uniqueName('abandoned')

  beforeAll(async () => {
    gateway = await startSqlGateway({ port: 0 })
    single = await startSqlGateway({ port: 0, poolSize: 1 })
    direct = new pg.Client({ connectionString: url })
    await direct.connect()
    await direct.query(`CREATE TABLE ${table} (tag text NOT NULL)`)
  })

  afterAll(async () => {
    await direct?.query(`DROP TABLE IF EXISTS ${table}`)
    await direct?.end()
    await gateway?.close()
    await single?.close()
  })

  /** Statements with `marker` in their text that Postgres is running now. */
  async function running(marker: string): Promise<number> {
    const { rows } = await direct.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`,
      [`%${marker}%`],
    )
    return rows[0].n
  }

  async function rowsTagged(tag: string): Promise<number> {
    const { rows } = await direct.query(`SELECT count(*)::int AS n FROM ${table} WHERE tag = $1`, [tag])
    return rows[0].n
  }

  it('has Postgres cancel its statement at once, instead of running it to the end', async () => {
    const marker = uniqueName('cancelled')
    const abandoned = post(gateway, url, `SELECT pg_sleep(5) AS ${marker}`, AbortSignal.timeout(300))
    await expect(abandoned).rejects.toThrow()
    // Running on the server until the cancel lands; then gone, seconds before the sleep would end.
    await expect.poll(() => running(marker), { timeout: 1_500, interval: 50 }).toBe(0)
  })

  it('never commits an abandoned batch, even once its statements would have finished', async () => {
    const tag = uniqueName('batch')
    const abandoned = fetch(gateway.url, {
      method: 'POST',
      headers: { 'Neon-Connection-String': url, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        queries: [
          { query: `INSERT INTO ${table} (tag) VALUES ('${tag}')`, params: [] },
          { query: 'SELECT pg_sleep(0.6)', params: [] },
        ],
      }),
      signal: AbortSignal.timeout(200),
    })
    await expect(abandoned).rejects.toThrow()
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(await rowsTagged(tag)).toBe(0)
  })

  it('never runs a request abandoned while it waited for a connection', async () => {
    const tag = uniqueName('queued')
    // The pool's one connection is busy for 1.5 s; the INSERT queues behind it and is abandoned meanwhile.
    const marker = uniqueName('busy')
    const busy = post(single, url, `SELECT pg_sleep(1.5) AS ${marker}`)
    await expect.poll(() => running(marker), { timeout: 1_000, interval: 20 }).toBe(1)
    const queued = post(single, url, `INSERT INTO ${table} (tag) VALUES ('${tag}')`, AbortSignal.timeout(200))
    await expect(queued).rejects.toThrow()
    expect((await busy).status).toBe(200)
    // The connection is free again: the gateway serves, and the abandoned INSERT never ran.
    expect((await post(single, url, 'SELECT 1 AS one')).status).toBe(200)
    expect(await rowsTagged(tag)).toBe(0)
  })
})

describe.skipIf(realPostgres.length === 0)('the statement timeout on real Postgres', () => {
  const url = realPostgres[0]?.url ?? ''
  let limited: SqlGateway
  let unlimited: SqlGateway

  beforeAll(async () => {
    limited = await startSqlGateway({ port: 0, statementTimeoutMs: 300 })
    unlimited = await startSqlGateway({ port: 0, statementTimeoutMs: 0 })
  })

  afterAll(async () => {
    await limited?.close()
    await unlimited?.close()
  })

  it('cancels a statement that runs longer with 57014, and stays every session default after the reset', async () => {
    const slow = await post(limited, url, 'SELECT pg_sleep(2)')
    expect(slow.status).toBe(400)
    expect(slow.body).toMatchObject({ code: '57014' })
    // Asked again on the connection the reset (DISCARD ALL) went over: still the gateway's limit.
    for (let i = 0; i < 2; i++) {
      expect((await post(limited, url, 'SHOW statement_timeout')).body).toMatchObject({
        rows: [['300ms']],
      })
    }
  })

  it('leaves statements unbounded at 0, as Neon does', async () => {
    expect((await post(unlimited, url, 'SHOW statement_timeout')).body).toMatchObject({ rows: [['0']] })
  })
})
