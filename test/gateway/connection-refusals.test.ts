/**
 * A connection string Postgres refuses is the caller's mistake, answered as Neon answers it (HTTP 400 and the
 * Postgres fields, so the driver's NeonDbError carries `code`), never as an outage; an unreachable server stays a 500.
 * Real Postgres only: PGlite checks no database, user or password.
 */
import { describe, expect, it } from 'vitest'
import { backends, connect, uniqueName } from './backends'

const realPostgres = backends.filter((backend) => backend.name === 'real Postgres')

/** The run's real-Postgres URL with one part changed. */
function variant(url: string, change: (parsed: URL) => void): string {
  const parsed = new URL(url)
  change(parsed)
  return parsed.toString()
}

async function failureOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise
  } catch (error) {
    return error as Record<string, unknown>
  }
  throw new Error('the query succeeded')
}

// Without TEST_DATABASE_URL there is no real Postgres: the suite is reported skipped rather than the file empty.
const url = realPostgres[0]?.url ?? ''

describe.skipIf(!url)('the gateway when real Postgres refuses the connection string', () => {
  it('answers a database that does not exist with 400 and Postgres 3D000, as Neon does', async () => {
    const database = uniqueName('no_such_db')
    const sql = connect(variant(url, (parsed) => (parsed.pathname = `/${database}`)))
    const error = await failureOf(sql.query('SELECT 1'))
    expect(error).toMatchObject({
      name: 'NeonDbError',
      code: '3D000',
      severity: 'FATAL',
      message: `database "${database}" does not exist`,
    })
  })

  it('answers a role that does not exist with 400 and a Postgres class 28 code', async () => {
    const role = uniqueName('no_such_role')
    const sql = connect(variant(url, (parsed) => (parsed.username = role)))
    const error = await failureOf(sql.query('SELECT 1'))
    expect(error).toMatchObject({ name: 'NeonDbError', code: '28000', severity: 'FATAL' })
    expect(error.message).toBe(`role "${role}" does not exist`)
  })

  it('answers a role without the CONNECT privilege with 400 and Postgres 42501, as Neon does', async () => {
    const role = uniqueName('no_connect')
    const database = uniqueName('closed_db')
    const admin = connect(url)
    await admin.query(`CREATE ROLE ${role} LOGIN`)
    await admin.query(`CREATE DATABASE ${database}`)
    await admin.query(`REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`)
    try {
      const sql = connect(
        variant(url, (parsed) => {
          parsed.username = role
          parsed.pathname = `/${database}`
        }),
      )
      const error = await failureOf(sql.query('SELECT 1'))
      expect(error).toMatchObject({ name: 'NeonDbError', code: '42501', severity: 'FATAL' })
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database}`)
      await admin.query(`DROP ROLE IF EXISTS ${role}`)
    }
  })

  it('still answers an unreachable server with a 500 that names the cause, since it may come back', async () => {
    const sql = connect(variant(url, (parsed) => (parsed.port = '1')))
    const error = await failureOf(sql.query('SELECT 1'))
    expect(error.code).toBeUndefined()
    expect(error.message).toMatch(
      /^Server error \(HTTP status 500\): .*Couldn't connect to compute node: .*ECONNREFUSED/,
    )
  })
})
