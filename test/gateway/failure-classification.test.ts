/** db/errors.ts on the errors the real Neon driver throws: misconfiguration, outage or neither, and the cause to print. */
import { createServer } from 'node:net'
import { NeonDbError, neon, neonConfig } from '@neondatabase/serverless'
import { sql } from 'drizzle-orm'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { classifyDatabaseFailure, underlyingCause } from '../../db/errors'
import {
  CONNECT_ERRORS,
  type NeonErrorEndpoint,
  neonErrorBody,
  startNeonErrorEndpoint,
} from '../support/neon-error-endpoint'

/** A host the driver sends to the endpoint it is given (not Neon's), never resolved. */
const APP_DATABASE_URL = 'postgresql://app:s3cret-password@db.example.test/appp'

let endpoint: NeonErrorEndpoint | undefined
afterEach(async () => {
  await endpoint?.close()
  endpoint = undefined
})

/** What a query through drizzle (a DrizzleQueryError wrapping the driver's error) rejects with. */
async function drizzleFailure(sqlEndpoint: string, databaseUrl = APP_DATABASE_URL): Promise<unknown> {
  const db = createDatabase({ databaseUrl, sqlGatewayEndpoint: sqlEndpoint, timeoutMs: 5000 })
  return db.execute(sql`select 1`).then(
    () => expect.unreachable('the query should have failed'),
    (error: unknown) => error,
  )
}

/** What the bare driver rejects with (drizzle's batches hand this one over unwrapped). */
async function driverFailure(sqlEndpoint: string): Promise<unknown> {
  neonConfig.fetchEndpoint = sqlEndpoint
  return neon(APP_DATABASE_URL)`select 1`.then(
    () => expect.unreachable('the query should have failed'),
    (error: unknown) => error,
  )
}

/** A loopback port nothing listens on (fetch itself refuses some, such as 1, before connecting). */
async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The driver's error for one canned answer of the endpoint, through drizzle and bare. */
async function failuresFor(status: number, body: unknown): Promise<[unknown, unknown]> {
  endpoint = await startNeonErrorEndpoint(status, body)
  return [await drizzleFailure(endpoint.url), await driverFailure(endpoint.url)]
}

describe('a session Postgres refuses to open', () => {
  it.each([
    ['an unknown database (3D000)', CONNECT_ERRORS.unknownDatabase, 'unknown-database'],
    ['an unknown role (28000)', CONNECT_ERRORS.unknownRole, 'credentials-refused'],
    ['a wrong password (28P01)', CONNECT_ERRORS.wrongPassword, 'credentials-refused'],
    ['a role without CONNECT (42501, FATAL)', CONNECT_ERRORS.noConnectPrivilege, 'connect-not-permitted'],
  ])('is a misconfiguration when Neon answers %s', async (_, body, expected) => {
    const [wrapped, bare] = await failuresFor(400, body)
    // The driver's own error, with the fields it copied from the answer; drizzle's wraps it as `cause`.
    expect(bare).toBeInstanceOf(NeonDbError)
    expect(bare).toMatchObject({ code: body.code, severity: 'FATAL', message: body.message })
    expect((wrapped as Error).cause).toBeInstanceOf(NeonDbError)
    expect(classifyDatabaseFailure(wrapped)).toBe(expected)
    expect(classifyDatabaseFailure(bare)).toBe(expected)
  })

  it('is a misconfiguration when Neon’s proxy refuses the password itself, with its own message and no code', async () => {
    const body = neonErrorBody("password authentication failed for user 'app'", { code: '', severity: '' })
    for (const error of await failuresFor(400, body)) {
      expect(classifyDatabaseFailure(error)).toBe('credentials-refused')
    }
  })

  it('is printed as Postgres’s own message and code, not as drizzle’s failed query', async () => {
    const cases = [
      [CONNECT_ERRORS.unknownDatabase, 'database "appp" does not exist (Postgres 3D000)'],
      [CONNECT_ERRORS.wrongPassword, 'password authentication failed for user "app" (Postgres 28P01)'],
      [CONNECT_ERRORS.unknownRole, 'role "x" does not exist (Postgres 28000)'],
    ] as const
    for (const [body, printed] of cases) {
      const [wrapped, bare] = await failuresFor(400, body)
      expect((wrapped as Error).message).toMatch(/^Failed query: select 1/)
      expect(underlyingCause(wrapped)).toBe(printed)
      expect(underlyingCause(bare)).toBe(printed)
      await endpoint?.close()
      endpoint = undefined
    }
  })
})

describe('errors that are not misconfigurations', () => {
  it('leaves a statement’s missing grant (42501 at ERROR severity) to the caller, as any other SQL error', async () => {
    const body = neonErrorBody('permission denied for table users', { code: '42501', severity: 'ERROR' })
    for (const error of await failuresFor(400, body)) expect(classifyDatabaseFailure(error)).toBeUndefined()
  })

  it('leaves a unique violation to the caller', async () => {
    const body = neonErrorBody('duplicate key value violates unique constraint "users_email_key"', {
      code: '23505',
      severity: 'ERROR',
      constraint: 'users_email_key',
    })
    for (const error of await failuresFor(400, body)) expect(classifyDatabaseFailure(error)).toBeUndefined()
  })

  it('calls a refused compute node an outage, and prints the endpoint’s own message', async () => {
    const body = neonErrorBody("Couldn't connect to compute node: connect ECONNREFUSED 10.0.0.5:5432", {
      code: '',
      severity: '',
    })
    const [wrapped, bare] = await failuresFor(500, body)
    for (const error of [wrapped, bare]) {
      expect((error as Error).message).toMatch(/Server error \(HTTP status 500\)|^Failed query/)
      expect(classifyDatabaseFailure(error)).toBe('unavailable')
      expect(underlyingCause(error)).toBe(
        "Couldn't connect to compute node: connect ECONNREFUSED 10.0.0.5:5432 (HTTP 500 from the SQL endpoint)",
      )
    }
  })

  it('calls an unreachable endpoint an outage, and prints the network’s error under fetch’s', async () => {
    const port = await unusedPort()
    const error = await drizzleFailure(`http://127.0.0.1:${port}/sql`)
    const driverError = (error as { cause?: { message?: string; sourceError?: unknown } }).cause
    expect(driverError?.message).toMatch(/^Error connecting to database: TypeError: fetch failed/)
    expect(driverError?.sourceError).toBeInstanceOf(TypeError)
    expect(classifyDatabaseFailure(error)).toBe('unavailable')
    expect(underlyingCause(error)).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`)
  })

  it('calls a database our gateway cannot reach an outage, with the refused address in the cause', async () => {
    const error = await drizzleFailure(inject('sqlEndpoint'), 'postgresql://postgres@127.0.0.1:1/edgeline')
    expect(classifyDatabaseFailure(error)).toBe('unavailable')
    expect(underlyingCause(error)).toMatch(
      /^Couldn't connect to compute node: .*ECONNREFUSED 127\.0\.0\.1:1.* \(HTTP 500 from the SQL endpoint\)$/,
    )
  })
})

// Through the run's real gateway to the real Postgres of TEST_DATABASE_URL. Needs the gateway to answer connection-time
// Postgres errors with HTTP 400 and their fields, as Neon does (issue 22, item 2: the gateway's side of it).
const realPostgres = process.env.TEST_DATABASE_URL
describe.skipIf(!realPostgres)('a misconfigured DATABASE_URL on real Postgres, through our gateway', () => {
  it('is a misconfiguration, printed with Postgres’s message, for a database that does not exist', async () => {
    const missing = `edgeline_missing_${crypto.randomUUID().slice(0, 8)}`
    const url = new URL(realPostgres as string)
    url.pathname = `/${missing}`
    const error = await drizzleFailure(inject('sqlEndpoint'), url.href)
    expect(classifyDatabaseFailure(error)).toBe('unknown-database')
    expect(underlyingCause(error)).toBe(`database "${missing}" does not exist (Postgres 3D000)`)
  })
})
