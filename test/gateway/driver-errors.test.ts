/** Conformance cases 24–30 and 38: errors reach the user as a NeonDbError with Neon's properties. */
import { NeonDbError } from '@neondatabase/serverless'
import { describe, expect, it } from 'vitest'
import { backends, connect, uniqueName } from './backends'

/** Every field the driver copies from Neon's error body (file/line/routine left out: they vary by version). */
const STABLE_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
] as const

/** The rejection of `query`, checked to be a NeonDbError. */
async function failureOf(query: Promise<unknown>): Promise<NeonDbError> {
  const error = await query.then(
    () => expect.unreachable('the query should have failed'),
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(NeonDbError)
  return error as NeonDbError
}

/** The stable fields of an error, so a test can assert the whole set at once (unset ones must be `undefined`). */
function stableFields(error: NeonDbError): Record<string, unknown> {
  return Object.fromEntries(STABLE_FIELDS.map((field) => [field, error[field]]))
}

describe.each(backends)('errors through the Neon driver on $name', ({ url }) => {
  const sql = connect(url)

  it('refuses two statements in one query, as the extended protocol does', async () => {
    const error = await failureOf(sql.query('SELECT 1; SELECT 2'))
    expect(error.name).toBe('NeonDbError')
    expect(error.code).toBe('42601')
    expect(error.message).toBe('cannot insert multiple commands into a prepared statement')
  })

  it('refuses COPY FROM STDIN with an error, and keeps answering after more of them than it has connections', async () => {
    const table = uniqueName('copy_in')
    await sql.query(`CREATE TABLE ${table} (a int)`)
    // One more than the endpoint's default pool: a connection left hanging by any of them would exhaust it.
    for (let attempt = 0; attempt < 11; attempt += 1) {
      const error = await failureOf(sql.query(`COPY ${table} FROM STDIN`))
      expect(error.code).toBe('57014')
      expect(error.severity).toBe('ERROR')
      expect(error.message).toMatch(/^COPY from stdin failed/)
    }
    expect(await sql.query(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 0 }])
  })

  it('reports a syntax error with its position as a string', async () => {
    const error = await failureOf(sql`SELEC 1`)
    expect(error.message).toBe('syntax error at or near "SELEC"')
    expect(error).toMatchObject({ code: '42601', position: '1', severity: 'ERROR' })
  })

  it('reports a parameter count mismatch as a bind error', async () => {
    const tooFew = await failureOf(sql.query('SELECT $1', []))
    expect(tooFew.code).toBe('08P01')
    expect(tooFew.message).toMatch(/^bind message supplies 0 parameters/)
    const tooMany = await failureOf(sql.query('SELECT $1', [1, 2]))
    expect(tooMany.code).toBe('08P01')
    expect(tooMany.message).toMatch(/^bind message supplies 2 parameters/)
  })

  it('reports a missing table with the position of its name', async () => {
    const table = uniqueName('nope')
    const error = await failureOf(sql.query(`SELECT * FROM ${table}`))
    expect(error.code).toBe('42P01')
    expect(error.message).toBe(`relation "${table}" does not exist`)
    expect(error.position).toBe('15')
  })

  it('reports a duplicate key with its detail, constraint, table and schema', async () => {
    const table = uniqueName('u')
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`)
    await sql.query(`INSERT INTO ${table} VALUES (1)`)
    const error = await failureOf(sql.query(`INSERT INTO ${table} VALUES ($1)`, [1]))
    expect(error.message).toBe(`duplicate key value violates unique constraint "${table}_pkey"`)
    expect(stableFields(error)).toEqual({
      severity: 'ERROR',
      code: '23505',
      detail: 'Key (id)=(1) already exists.',
      hint: undefined,
      position: undefined,
      internalPosition: undefined,
      internalQuery: undefined,
      where: undefined,
      schema: 'public',
      table,
      column: undefined,
      dataType: undefined,
      constraint: `${table}_pkey`,
    })
    await sql.query(`DROP TABLE ${table}`)
  })

  it('reports a NOT NULL violation with its column, table and failing row', async () => {
    const table = uniqueName('n')
    await sql.query(`CREATE TABLE ${table} (id int, v text NOT NULL)`)
    const error = await failureOf(sql`INSERT INTO ${sql.unsafe(table)} (id, v) VALUES (${7}, ${null})`)
    expect(error.message).toBe(`null value in column "v" of relation "${table}" violates not-null constraint`)
    expect(error).toMatchObject({ code: '23502', column: 'v', table, schema: 'public' })
    expect(error.detail).toMatch(/^Failing row contains \(7, null\)\.$/)
    await sql.query(`DROP TABLE ${table}`)
  })

  it('leaves every field Postgres did not set undefined, never null', async () => {
    const error = await failureOf(sql`SELECT 1/0`)
    expect(error.message).toBe('division by zero')
    expect(stableFields(error)).toEqual({
      severity: 'ERROR',
      code: '22012',
      detail: undefined,
      hint: undefined,
      position: undefined,
      internalPosition: undefined,
      internalQuery: undefined,
      where: undefined,
      schema: undefined,
      table: undefined,
      column: undefined,
      dataType: undefined,
      constraint: undefined,
    })
  })

  it('carries the hint Postgres gives for an unknown function', async () => {
    const error = await failureOf(sql`SELECT no_such_function(${1}::int)`)
    expect(error.code).toBe('42883')
    expect(error.message).toBe('function no_such_function(integer) does not exist')
    expect(error.hint).toMatch(/^No function matches the given name and argument types\./)
    expect(error.position).toBe('8')
  })

  it('carries the message, detail, hint, code and context of a RAISE EXCEPTION', async () => {
    const error = await failureOf(
      sql.query(
        "DO $$ BEGIN RAISE EXCEPTION 'boom %', 42 USING ERRCODE = 'P0042', DETAIL = 'the detail', HINT = 'the hint'; END $$",
      ),
    )
    expect(error).toMatchObject({
      message: 'boom 42',
      code: 'P0042',
      detail: 'the detail',
      hint: 'the hint',
      severity: 'ERROR',
      where: 'PL/pgSQL function inline_code_block line 1 at RAISE',
    })
  })

  it('names the data type, schema and constraint of a failed domain check', async () => {
    const domain = uniqueName('positive')
    // The batch fails and rolls back, so the domain never outlives the test.
    const error = await failureOf(
      sql.transaction([
        sql.query(`CREATE DOMAIN ${domain} AS int CHECK (VALUE > 0)`),
        sql.query(`SELECT (-1)::${domain}`),
      ]),
    )
    expect(error.message).toBe(`value for domain ${domain} violates check constraint "${domain}_check"`)
    expect(error).toMatchObject({
      code: '23514',
      dataType: domain,
      schema: 'public',
      constraint: `${domain}_check`,
      table: undefined,
    })
    const [{ left }] = (await sql.query('SELECT count(*)::int AS left FROM pg_type WHERE typname = $1', [
      domain,
    ])) as [{ left: number }]
    expect(left).toBe(0)
  })

  it('answers a request body over 10 MiB with HTTP 413, as a server error without a code', async () => {
    const error = await failureOf(sql`SELECT length(${'x'.repeat(11 * 1024 * 1024)}) AS n`)
    expect(error.message).toMatch(
      /^Server error \(HTTP status 413\): \{"message":"request is too large \(max is 10485760 bytes\)",/,
    )
    expect(error.code).toBeUndefined()
    expect(await sql`SELECT 1::int AS still_serving`).toEqual([{ still_serving: 1 }])
  })

  it('answers a result over 10 MiB with HTTP 507, as a server error without a code', async () => {
    const error = await failureOf(sql`SELECT repeat('x', 11 * 1024 * 1024) AS big`)
    expect(error.message).toMatch(
      /^Server error \(HTTP status 507\): \{"message":"response is too large \(max is 10485760 bytes\)",/,
    )
    expect(error.code).toBeUndefined()
    expect(await sql`SELECT 1::int AS still_serving`).toEqual([{ still_serving: 1 }])
  })
})
