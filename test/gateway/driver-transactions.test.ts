/** Conformance cases 31–36: transaction batches, their options, per-request isolation and the headers the driver sends. */
import { type NeonQueryPromise, neon } from '@neondatabase/serverless'
import { describe, expect, it } from 'vitest'
import { backends, connect, recordRequests, type SentRequest, uniqueName } from './backends'

describe.each(backends)('transactions through the Neon driver on $name', ({ url }) => {
  const sql = connect(url)

  it('returns each statement of a batch in order, with its own array mode', async () => {
    expect(
      await sql.transaction([
        sql`SELECT ${1}::int AS x`,
        // The driver's types forbid per-query options in a transaction, but it honours them (drizzle relies on it).
        sql.query('SELECT $1 AS y', ['hi'], { arrayMode: true }) as unknown as NeonQueryPromise<false, false>,
      ]),
    ).toEqual([[{ x: 1 }], [['hi']]])
  })

  it('answers an empty batch with no results', async () => {
    expect(await sql.transaction([])).toEqual([])
  })

  it('builds a batch from a function of the client', async () => {
    expect(await sql.transaction((txn) => [txn`SELECT 1::int AS a`, txn`SELECT 2::int AS b`])).toEqual([
      [{ a: 1 }],
      [{ b: 2 }],
    ])
  })

  it('rolls back every statement of a batch when one fails', async () => {
    const table = uniqueName('rollback')
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`)
    await sql.query(`INSERT INTO ${table} VALUES (1)`)
    const batch = sql.transaction([
      sql.query(`INSERT INTO ${table} VALUES (2)`),
      sql.query(`INSERT INTO ${table} VALUES (1)`),
    ])
    await expect(batch).rejects.toMatchObject({ name: 'NeonDbError', code: '23505' })
    expect(await sql.query(`SELECT id FROM ${table} ORDER BY id`)).toEqual([{ id: 1 }])
    await sql.query(`DROP TABLE ${table}`)
  })

  it('fails a batch whose COMMIT fails (a deferred constraint), and keeps none of it', async () => {
    const table = uniqueName('deferred')
    await sql.query(
      `CREATE TABLE ${table} (v int, CONSTRAINT ${table}_v UNIQUE (v) DEFERRABLE INITIALLY DEFERRED)`,
    )
    // Each INSERT succeeds on its own; the duplicate is found only when the transaction commits.
    await expect(
      sql.transaction([
        sql.query(`INSERT INTO ${table} VALUES (1)`),
        sql.query(`INSERT INTO ${table} VALUES (1)`),
      ]),
    ).rejects.toMatchObject({ code: '23505' })
    expect(await sql.query(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 0 }])
    await sql.query(`DROP TABLE ${table}`)
  })

  it('runs a batch with the isolation level, read-only and deferrable options it was given', async () => {
    const settings = sql`SELECT current_setting('transaction_isolation') AS i, current_setting('transaction_read_only') AS r, current_setting('transaction_deferrable') AS d`
    expect(
      await sql.transaction([settings], { isolationLevel: 'Serializable', readOnly: true, deferrable: true }),
    ).toEqual([[{ i: 'serializable', r: 'on', d: 'on' }]])
    expect(await sql.transaction([settings])).toEqual([[{ i: 'read committed', r: 'off', d: 'off' }]])
    expect(await sql.transaction([settings], { isolationLevel: 'RepeatableRead', readOnly: false })).toEqual([
      [{ i: 'repeatable read', r: 'off', d: 'off' }],
    ])
  })

  it('refuses a write in a read-only batch', async () => {
    const table = uniqueName('readonly')
    const batch = sql.transaction([sql.query(`CREATE TABLE ${table} (id int)`)], { readOnly: true })
    await expect(batch).rejects.toMatchObject({
      code: '25006',
      message: 'cannot execute CREATE TABLE in a read-only transaction',
    })
    await expect(sql.query(`SELECT * FROM ${table}`)).rejects.toMatchObject({ code: '42P01' })
  })

  it('never carries a SET over to the next request', async () => {
    await sql`SET TimeZone = 'Asia/Tokyo'`
    expect(await sql`SHOW TimeZone`).toEqual([{ TimeZone: 'UTC' }])
  })

  // Many at once, so that every pooled connection runs one: a reset skipped anywhere would show up below.
  const onEveryConnection = <T>(run: () => Promise<T>) => Promise.all(Array.from({ length: 24 }, run))

  it('never carries a setting made by a lone SELECT over to the next request, on any connection', async () => {
    await onEveryConnection(() => sql`SELECT set_config('TimeZone', 'Asia/Tokyo', false) AS zone`)
    expect(
      new Set((await onEveryConnection(() => sql`SHOW TimeZone`)).map(([row]) => row?.TimeZone)),
    ).toEqual(new Set(['UTC']))
  })

  it('never lets a later request see the sequence state a lone SELECT left (currval)', async () => {
    const sequence = uniqueName('seq')
    await sql.query(`CREATE SEQUENCE ${sequence}`)
    await onEveryConnection(() => sql.query(`SELECT nextval('${sequence}')`))
    const reads = await onEveryConnection(() =>
      sql.query(`SELECT currval('${sequence}')`).then(
        () => 'visible',
        (error: { code?: string }) => error.code,
      ),
    )
    expect(new Set(reads)).toEqual(new Set(['55000']))
    await sql.query(`DROP SEQUENCE ${sequence}`)
  })

  it('commits each request on its own even after a lone BEGIN', async () => {
    const table = uniqueName('autocommit')
    await sql.query(`CREATE TABLE ${table} (id int)`)
    await sql`BEGIN`
    await sql.query(`INSERT INTO ${table} VALUES (1)`)
    await sql`ROLLBACK`
    expect(await sql.query(`SELECT id FROM ${table}`)).toEqual([{ id: 1 }])
    await sql.query(`DROP TABLE ${table}`)
  })

  it('drops a temporary table when the request that made it ends', async () => {
    const table = uniqueName('temp')
    await sql.query(`CREATE TEMP TABLE ${table} (id int)`)
    await expect(sql.query(`SELECT * FROM ${table}`)).rejects.toMatchObject({ code: '42P01' })
  })

  it('lets a SET inside a batch shape the statements after it', async () => {
    const results = await sql.transaction([
      sql`SET IntervalStyle = 'iso_8601'`,
      sql`SELECT '0 seconds'::interval::text AS i`,
    ])
    expect(results).toEqual([[], [{ i: 'PT0S' }]])
    expect(await sql`SELECT '0 seconds'::interval::text AS i`).toEqual([{ i: '00:00:00' }])
  })

  it('accepts the driver’s text/plain body and sends batch options only as Neon-Batch-* headers', async () => {
    const { result, sent } = await recordRequests(() =>
      sql.transaction([sql`SELECT ${'a'} AS v`], { isolationLevel: 'ReadCommitted', readOnly: true }),
    )
    expect(result).toEqual([[{ v: 'a' }]])
    expect(sent).toHaveLength(1)
    const [{ headers, body }] = sent as [SentRequest]
    expect(headers.get('content-type')).toBe('text/plain;charset=UTF-8')
    expect(headers.get('neon-batch-isolation-level')).toBe('ReadCommitted')
    expect(headers.get('neon-batch-read-only')).toBe('true')
    expect(headers.get('neon-batch-deferrable')).toBeNull()
    expect(body).toEqual({ queries: [{ query: 'SELECT $1 AS v', params: ['a'] }] })
  })

  it('ignores an authToken: the Bearer header is sent but the endpoint does not check it', async () => {
    const withToken = neon(url, { authToken: 'abc' })
    const { result, sent } = await recordRequests(() => withToken`SELECT 1::int AS a`)
    expect(result).toEqual([{ a: 1 }])
    expect(sent[0]?.headers.get('authorization')).toBe('Bearer abc')
  })
})
