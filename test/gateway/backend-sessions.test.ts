/**
 * How the gateway's Postgres backend treats its connections, on real Postgres through a gateway in this test's
 * process: a session left in a transaction is cleaned and kept, a deadline that passes after the answer cancels
 * nothing, the canceller's own connection and the pool's are closed, the caller's startup options reach the session,
 * the gateway's own session defaults win over a database's, TCP keep-alive is on, a pool that lost a connection
 * under a request is retired with its idle connections, the pools' figures add up, a batch is never sent twice, and
 * each statement of a batch reports only its own fields.
 */
import { existsSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { backends, uniqueName } from './backends'

const realPostgres = backends.filter((backend) => backend.name === 'real Postgres')

type Answer = {
  status: number
  body: { code?: string; rows?: unknown[][]; results?: { fields: unknown[] }[] }
}

describe.skipIf(realPostgres.length === 0)("the Postgres backend's connections", () => {
  let direct: pg.Client
  const gateways: SqlGateway[] = []

  beforeAll(async () => {
    direct = new pg.Client({ connectionString: realPostgres[0]?.url })
    await direct.connect()
  })

  afterAll(async () => {
    await direct?.end()
    await Promise.all(gateways.map((gateway) => gateway.close()))
  })

  async function gatewayWith(options: { poolSize?: number } = {}) {
    const gateway = await startSqlGateway({ port: 0, ...options })
    gateways.push(gateway)
    return gateway
  }

  /** The test database's connection string, with these parameters added. */
  function urlWith(parameters: Record<string, string> = {}) {
    const url = new URL(realPostgres[0]?.url ?? '')
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value)
    return url.toString()
  }

  async function post(
    gateway: SqlGateway,
    url: string,
    payload: object,
    signal?: AbortSignal,
  ): Promise<Answer> {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: {
        'Neon-Connection-String': url,
        'Neon-Array-Mode': 'true',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(payload),
      signal,
    })
    return { status: response.status, body: (await response.json()) as Answer['body'] }
  }

  const one = (query: string) => ({ query, params: [] })

  /** Backends connected with this application name, as Postgres lists them. */
  async function backendsNamed(name: string): Promise<number> {
    const { rows } = await direct.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
      [name],
    )
    return rows[0].n
  }

  it('rolls back a transaction a lone BEGIN left open and keeps the connection', async () => {
    const gateway = await gatewayWith({ poolSize: 1 })
    const url = urlWith()
    const before = await post(gateway, url, one('SELECT pg_backend_pid()'))
    expect((await post(gateway, url, one('BEGIN'))).status).toBe(200)
    // The same connection answers: rolled back and reset, not discarded (test/gateway/clean-sessions.test.ts proves
    // that what a request leaves behind never reaches the next).
    const after = await post(gateway, url, one('SELECT pg_backend_pid()'))
    expect(after.body.rows).toEqual(before.body.rows)
  })

  it("never cancels what runs next on a connection when a finished request's deadline passes", async () => {
    const gateway = await gatewayWith({ poolSize: 1 })
    const url = urlWith()
    // In process, as the production server calls it: the caller's deadline is the request's signal.
    const quick = await gateway.fetch(gateway.url, {
      method: 'POST',
      headers: { 'Neon-Connection-String': url, 'Content-Type': 'application/json' },
      body: JSON.stringify(one('SELECT 1')),
      signal: AbortSignal.timeout(300),
    })
    expect(quick.status).toBe(200)
    // On the same (only) connection, running when the first request's deadline passes.
    const next = await post(gateway, url, one('SELECT pg_sleep(0.8)'))
    expect(next.status).toBe(200)
  })

  it('closes the connection it opened to cancel a statement', async () => {
    const gateway = await gatewayWith()
    const name = uniqueName('canceller')
    const url = urlWith({ application_name: name })
    await expect(post(gateway, url, one('SELECT pg_sleep(5)'), AbortSignal.timeout(300))).rejects.toThrow()
    // The sleep stops only once the canceller has connected and asked: counting before that would see one
    // connection whether or not the canceller's is ever closed.
    await expect
      .poll(
        async () =>
          (
            await direct.query(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query = 'SELECT pg_sleep(5)'",
              [name],
            )
          ).rows[0].n,
        { timeout: 3_000, interval: 20 },
      )
      .toBe(0)
    // The pool keeps the cancelled request's connection; the canceller's own is gone.
    await expect.poll(() => backendsNamed(name), { timeout: 2_000, interval: 50 }).toBe(1)
  })

  it('closes every connection of its pools when it closes', async () => {
    const gateway = await startSqlGateway({ port: 0 })
    const name = uniqueName('closing')
    const url = urlWith({ application_name: name })
    await Promise.all([1, 2, 3].map(() => post(gateway, url, one('SELECT pg_sleep(0.1)'))))
    expect(await backendsNamed(name)).toBeGreaterThan(0)
    await gateway.close()
    await expect.poll(() => backendsNamed(name), { timeout: 2_000, interval: 50 }).toBe(0)
  })

  it("starts each session with the caller's own options as well as its defaults", async () => {
    const gateway = await gatewayWith()
    const url = urlWith({ options: '-c statement_timeout=1234' })
    for (let i = 0; i < 2; i++) {
      expect((await post(gateway, url, one('SHOW statement_timeout'))).body.rows).toEqual([['1234ms']])
      expect((await post(gateway, url, one('SHOW TimeZone'))).body.rows).toEqual([['UTC']])
    }
  })

  it('closes the idle connections of a pool that lost one under a request, which a restart would have killed too', async () => {
    const gateway = await gatewayWith({ poolSize: 3 })
    const name = uniqueName('retired')
    const url = urlWith({ application_name: name })
    await Promise.all([1, 2, 3].map(() => post(gateway, url, one('SELECT pg_sleep(0.2)'))))
    await expect.poll(() => backendsNamed(name), { timeout: 2_000, interval: 50 }).toBe(3)
    // Not a plain read, so never run again: what is left afterwards is only what the first pool kept.
    const marker = uniqueName('lost')
    const answer = post(
      gateway,
      url,
      one(`DO $$ BEGIN PERFORM pg_sleep(5); RAISE NOTICE '${marker}'; END $$`),
    )
    await expect
      .poll(
        async () =>
          (
            await direct.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE application_name = $1 AND state = 'active' AND query LIKE $2`,
              [name, `%${marker}%`],
            )
          ).rows.length,
        { timeout: 3_000, interval: 20 },
      )
      .toBe(1)
    expect((await answer).status).not.toBe(200)
    await expect.poll(() => backendsNamed(name), { timeout: 2_000, interval: 50 }).toBe(0)
  })

  it('counts the connections of all its pools in use and idle, and the requests waiting for one', async () => {
    const gateway = await gatewayWith({ poolSize: 1 })
    expect(gateway.poolStats()).toEqual({ inUse: 0, idle: 0, waiting: 0 })
    const url = urlWith({ application_name: uniqueName('counted') })
    const slow = post(gateway, url, one('SELECT pg_sleep(0.6)'))
    await expect.poll(() => gateway.poolStats().inUse, { timeout: 3_000, interval: 10 }).toBe(1)
    // The pool's only connection is busy: the next request on it waits.
    const queued = post(gateway, url, one('SELECT 1'))
    await expect
      .poll(() => gateway.poolStats(), { timeout: 3_000, interval: 10 })
      .toEqual({ inUse: 1, idle: 0, waiting: 1 })
    expect((await slow).status).toBe(200)
    expect((await queued).status).toBe(200)
    await expect
      .poll(() => gateway.poolStats(), { timeout: 3_000, interval: 10 })
      .toEqual({ inUse: 0, idle: 1, waiting: 0 })
    // Another application name is another pool: the figures are the sum of both.
    const other = urlWith({ application_name: uniqueName('counted') })
    expect((await post(gateway, other, one('SELECT 1'))).status).toBe(200)
    await expect
      .poll(() => gateway.poolStats(), { timeout: 3_000, interval: 10 })
      .toEqual({ inUse: 0, idle: 2, waiting: 0 })
  })

  it("starts each session with the gateway's defaults, not those of a database configured otherwise", async () => {
    const database = uniqueName('other_defaults')
    await direct.query(`CREATE DATABASE ${database}`)
    await direct.query(
      `ALTER DATABASE ${database} SET TimeZone = 'Asia/Tokyo'; ` +
        `ALTER DATABASE ${database} SET DateStyle = 'SQL, DMY'; ` +
        `ALTER DATABASE ${database} SET IntervalStyle = 'sql_standard'`,
    )
    const gateway = await startSqlGateway({ port: 0 })
    try {
      const url = new URL(urlWith())
      url.pathname = `/${database}`
      const settings = one(
        "SELECT current_setting('TimeZone'), current_setting('DateStyle'), current_setting('IntervalStyle')",
      )
      // What any other client of that database gets: the test would prove nothing if these were the gateway's too.
      const other = new pg.Client({ connectionString: url.toString() })
      await other.connect()
      try {
        expect((await other.query({ text: settings.query, rowMode: 'array' })).rows).toEqual([
          ['Asia/Tokyo', 'SQL, DMY', 'sql_standard'],
        ])
      } finally {
        await other.end()
      }
      // Twice: the first request on a new session, then one on the same session after its DISCARD ALL.
      for (let i = 0; i < 2; i++) {
        expect((await post(gateway, url.toString(), settings)).body.rows).toEqual([
          ['UTC', 'ISO, MDY', 'postgres'],
        ])
      }
    } finally {
      await gateway.close()
      await direct.query(`DROP DATABASE ${database} WITH (FORCE)`)
    }
  })

  it.skipIf(!existsSync('/proc/net/tcp'))(
    'asks TCP to keep its connections alive, so that a vanished server is noticed rather than waited for',
    async () => {
      const gateway = await gatewayWith()
      const name = uniqueName('keepalive')
      expect((await post(gateway, urlWith({ application_name: name }), one('SELECT 1'))).status).toBe(200)
      const { rows } = await direct.query(
        'SELECT client_port FROM pg_stat_activity WHERE application_name = $1',
        [name],
      )
      expect(rows).toHaveLength(1)
      const serverPort = Number(new URL(realPostgres[0]?.url ?? '').port || 5432)
      expect(keepAliveTimerOn(rows[0].client_port, serverPort)).toBe(true)
    },
  )

  it('reports each statement of a batch with its own fields: none for a write after a read', async () => {
    const gateway = await gatewayWith()
    const table = uniqueName('batch_fields')
    await direct.query(`CREATE TABLE ${table} (v int)`)
    try {
      const answer = await post(gateway, urlWith(), {
        queries: [one('SELECT 1 AS one'), one(`INSERT INTO ${table} VALUES (1)`)],
      })
      expect(answer.status).toBe(200)
      expect(answer.body.results?.map((result) => result.fields.length)).toEqual([1, 0])
    } finally {
      await direct.query(`DROP TABLE ${table}`)
    }
  })

  it('never sends a batch again after its connection ends under it, even one that starts with a SELECT', async () => {
    const gateway = await gatewayWith()
    const table = uniqueName('batch_once')
    await direct.query(`CREATE TABLE ${table} (tag text NOT NULL)`)
    try {
      const marker = uniqueName('batch')
      const answer = post(gateway, urlWith(), {
        queries: [
          one(`SELECT '${marker}' FROM pg_sleep(0.5)`),
          one(`INSERT INTO ${table} VALUES ('${marker}')`),
        ],
      })
      await expect
        .poll(
          async () =>
            (
              await direct.query(
                `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE state = 'active' AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'`,
                [`%${marker}%`],
              )
            ).rows.length,
          { timeout: 3_000, interval: 20 },
        )
        .toBe(1)
      expect((await answer).status).not.toBe(200)
      await new Promise((resolve) => setTimeout(resolve, 700))
      const { rows } = await direct.query(`SELECT count(*)::int AS n FROM ${table}`)
      expect(rows[0].n).toBe(0)
    } finally {
      await direct.query(`DROP TABLE ${table}`)
    }
  })
})

/**
 * Whether Linux runs a keep-alive timer on this machine's TCP connection from `localPort` to `remotePort`: in
 * /proc/net/tcp{,6}, an idle established connection shows timer 2 ("another timer": keep-alive) only with SO_KEEPALIVE.
 */
function keepAliveTimerOn(localPort: number, remotePort: number): boolean | undefined {
  const hexPort = (port: number) => port.toString(16).toUpperCase().padStart(4, '0')
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, remote, , , timer] = line.trim().split(/\s+/)
      if (local?.endsWith(`:${hexPort(localPort)}`) && remote?.endsWith(`:${hexPort(remotePort)}`)) {
        return timer?.split(':')[0] === '02'
      }
    }
  }
  return undefined
}
