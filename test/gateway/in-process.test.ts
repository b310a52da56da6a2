/**
 * The gateway's in-process `fetch` (what the production server's API uses, decision 0018) answers the real driver
 * exactly as its HTTP route does: results, Postgres errors with their fields, batches, limits and cancellation.
 */
import { neon, neonConfig } from '@neondatabase/serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { backends, uniqueName } from './backends'

let gateway: SqlGateway
const previousEndpoint = neonConfig.fetchEndpoint

beforeAll(async () => {
  gateway = await startSqlGateway({ port: 0, maxRequestBytes: 64 * 1024 })
  // A URL nobody listens on: only the in-process fetch can answer, so nothing here can pass over a socket.
  neonConfig.fetchEndpoint = 'http://127.0.0.1:1/sql'
  neonConfig.fetchFunction = gateway.fetch
})

afterAll(async () => {
  neonConfig.fetchFunction = undefined
  neonConfig.fetchEndpoint = previousEndpoint
  await gateway.close()
})

describe.each(backends)('the in-process gateway on $name', ({ url }) => {
  const sql = neon(url)

  it('returns typed rows, fields and counts as over HTTP', async () => {
    const result = await sql.query('SELECT 1::int AS one, $1::text AS word, NULL::date AS nothing', ['hi'], {
      fullResults: true,
    })
    expect(result.rows).toEqual([{ one: 1, word: 'hi', nothing: null }])
    expect(result.fields.map((field) => field.name)).toEqual(['one', 'word', 'nothing'])
    expect(result).toMatchObject({ command: 'SELECT', rowCount: 1 })
  })

  it('rejects with the Postgres error and its fields', async () => {
    const table = uniqueName('inproc')
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`)
    await sql.query(`INSERT INTO ${table} VALUES (1)`)
    await expect(sql.query(`INSERT INTO ${table} VALUES (1)`)).rejects.toMatchObject({
      name: 'NeonDbError',
      code: '23505',
      constraint: `${table}_pkey`,
    })
    await sql.query(`DROP TABLE ${table}`)
  })

  it('runs a batch as one transaction and rolls it back whole on failure', async () => {
    const table = uniqueName('inproc_batch')
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`)
    await expect(
      sql.transaction([
        sql.query(`INSERT INTO ${table} VALUES (1)`),
        sql.query(`INSERT INTO ${table} VALUES (1)`),
      ]),
    ).rejects.toMatchObject({ code: '23505' })
    expect(await sql.query(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 0 }])
    await sql.query(`DROP TABLE ${table}`)
  })

  it('refuses a request over the size limit with the same 413 message', async () => {
    await expect(sql.query('SELECT $1::text', ['x'.repeat(70 * 1024)])).rejects.toThrow(
      /Server error \(HTTP status 413\).*request is too large/,
    )
  })
})

// PGlite runs each statement on this very thread: while it runs, no timer can fire, so an abort can only be seen
// once the statement is over (README, "Any Node server"). The real server's statement runs elsewhere.
// Only the real-Postgres backend (when TEST_DATABASE_URL is set, as in CI), as the conformance suite does it.
const realPostgresBackends = backends.filter((backend) => backend.name === 'real Postgres')
describe.each(realPostgresBackends)(
  'the in-process gateway on $name, when the caller gives up',
  ({ url: realPostgres }) => {
    it('settles at once, cancels the statement, and keeps serving', async () => {
      const sql = neon(realPostgres)
      await expect(
        sql.query('SELECT pg_sleep(2)', [], { fetchOptions: { signal: AbortSignal.timeout(200) } }),
      ).rejects.toThrow(/TimeoutError|aborted/)
      expect(await sql.query('SELECT 2::int AS two')).toEqual([{ two: 2 }])
    })
  },
)
