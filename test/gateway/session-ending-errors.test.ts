/**
 * Errors that end the session (57P01 from pg_terminate_backend, as a restart or failover sends it) against errors
 * that end only the statement, on real Postgres through a gateway in this test's process: a lone SELECT whose
 * backend was terminated under it is run again on a fresh connection and answered; one that failed on its own is
 * answered with its error and never run again (a read may still have side effects, such as nextval).
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { backends, uniqueName } from './backends'

const realPostgres = backends.filter((backend) => backend.name === 'real Postgres')

describe.skipIf(realPostgres.length === 0)('errors that end the session, on real Postgres', () => {
  const url = realPostgres[0]?.url ?? ''
  let gateway: SqlGateway
  let direct: pg.Client

  beforeAll(async () => {
    gateway = await startSqlGateway({ port: 0 })
    direct = new pg.Client({ connectionString: url })
    await direct.connect()
  })

  afterAll(async () => {
    await direct?.end()
    await gateway?.close()
  })

  async function post(query: string) {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: {
        'Neon-Connection-String': url,
        'Neon-Array-Mode': 'true',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ query, params: [] }),
    })
    return { status: response.status, body: (await response.json()) as { code?: string; rows?: unknown[][] } }
  }

  /** Terminates the backend running a statement with `marker` in its text, once it is running. */
  async function terminateWhenRunning(marker: string): Promise<void> {
    await expect
      .poll(
        async () => {
          const { rows } = await direct.query(
            `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
             WHERE state = 'active' AND query LIKE $1 AND query NOT LIKE '%pg_stat_activity%'`,
            [`%${marker}%`],
          )
          return rows.length
        },
        { timeout: 3_000, interval: 20 },
      )
      .toBe(1)
  }

  it('runs a lone SELECT whose backend was terminated under it once more, and answers it', async () => {
    const marker = uniqueName('terminated')
    const answer = post(`SELECT '${marker}' AS marker FROM pg_sleep(0.5)`)
    await terminateWhenRunning(marker)
    expect(await answer).toMatchObject({ status: 200, body: { rows: [[marker]] } })
  })

  it("answers a write whose backend was terminated under it with Postgres's own error, once, and applies nothing", async () => {
    const table = uniqueName('terminated_write')
    await direct.query(`CREATE TABLE ${table} (tag text NOT NULL)`)
    try {
      const marker = uniqueName('write')
      const answer = post(`INSERT INTO ${table} SELECT '${marker}' FROM pg_sleep(0.5)`)
      await terminateWhenRunning(marker)
      expect(await answer).toMatchObject({ status: 400, body: { code: '57P01' } })
      await new Promise((resolve) => setTimeout(resolve, 700))
      const { rows } = await direct.query(`SELECT count(*)::int AS n FROM ${table}`)
      expect(rows[0].n).toBe(0)
    } finally {
      await direct.query(`DROP TABLE ${table}`)
    }
  })

  it.each([
    ['22012', (sequence: string) => `SELECT nextval('${sequence}') / 0`],
    // A code ending in 08 (datetime field overflow) is no connection failure (class 08) either.
    ['22008', (sequence: string) => `SELECT make_date(2020, 13, nextval('${sequence}')::int)`],
  ])(
    'answers a lone SELECT that failed on its own (%s) with its error, and never runs it again',
    async (code, query) => {
      const sequence = uniqueName('seq')
      await direct.query(`CREATE SEQUENCE ${sequence}`)
      try {
        const answer = await post(query(sequence))
        expect(answer).toMatchObject({ status: 400, body: { code } })
        const { rows } = await direct.query(`SELECT last_value FROM ${sequence}`)
        expect(Number(rows[0].last_value)).toBe(1)
      } finally {
        await direct.query(`DROP SEQUENCE ${sequence}`)
      }
    },
  )
})
