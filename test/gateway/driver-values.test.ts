/** Conformance cases 1–16: parameters and values through the real `@neondatabase/serverless` client. */
import { describe, expect, it } from 'vitest'
import { backends, connect } from './backends'

describe.each(backends)('values through the Neon driver on $name', ({ url }) => {
  const sql = connect(url)

  it('returns int4 as a JS number', async () => {
    expect(await sql`SELECT 1::int AS a`).toEqual([{ a: 1 }])
  })

  it('binds an uncast parameter as text, and as an integer once cast', async () => {
    expect(await sql`SELECT ${1} AS a`).toEqual([{ a: '1' }])
    expect(await sql`SELECT ${2}::int * 2 AS a`).toEqual([{ a: 4 }])
  })

  it('returns int8 as a string so no precision is lost', async () => {
    expect(await sql`SELECT ${9007199254740993n}::int8 AS a`).toEqual([{ a: '9007199254740993' }])
  })

  it('returns numeric as a string with its scale kept', async () => {
    expect(await sql`SELECT ${'1.50'}::numeric AS a`).toEqual([{ a: '1.50' }])
  })

  it('returns float8 as a JS number with full precision, and NaN as NaN', async () => {
    const [row] = await sql`SELECT ${Math.PI}::float8 AS a, 'NaN'::float8 AS n`
    expect(row?.a).toBe(Math.PI)
    expect(Number.isNaN(row?.n)).toBe(true)
  })

  it('returns bool as true/false, but an uncast boolean parameter as the text "true"', async () => {
    expect(await sql`SELECT ${true}::bool AS a, ${false}::bool AS b, ${true} AS c`).toEqual([
      { a: true, b: false, c: 'true' },
    ])
  })

  it('binds null and undefined as NULL, and keeps the string "NULL" a string', async () => {
    expect(await sql`SELECT ${null}::int AS a, ${undefined} AS b, ${'NULL'} AS c`).toEqual([
      { a: null, b: null, c: 'NULL' },
    ])
  })

  it('parses jsonb into an object, but returns an uncast object parameter as its JSON text', async () => {
    expect(await sql`SELECT ${{ x: [1, 2] }}::jsonb AS a, ${{ x: 'y' }} AS b`).toEqual([
      { a: { x: [1, 2] }, b: '{"x":"y"}' },
    ])
  })

  it('round-trips text[] with spaces and NULL, and nested int arrays', async () => {
    expect(await sql`SELECT ${['a', 'b c', null]}::text[] AS a, ${[[1], [2]]}::int[][] AS b`).toEqual([
      { a: ['a', 'b c', null], b: [[1], [2]] },
    ])
  })

  it('returns an uncast array parameter as its literal, and int8[] as an array of strings', async () => {
    expect(await sql`SELECT ${[1, 2]} AS a, '{1,2}'::int8[] AS b`).toEqual([
      { a: '{"1","2"}', b: ['1', '2'] },
    ])
  })

  it('returns a Uint8Array parameter as a Buffer, because the tag adds ::bytea', async () => {
    const [row] = await sql`SELECT ${new Uint8Array([65, 66, 67])} AS a`
    expect(Buffer.isBuffer(row?.a)).toBe(true)
    expect(row?.a).toEqual(Buffer.from('ABC'))
  })

  it('sends bytea as hex text through sql.query, which adds no cast', async () => {
    expect(await sql.query('SELECT $1 AS a', [new Uint8Array([65, 66, 67])])).toEqual([{ a: '\\x414243' }])
    const [row] = await sql.query('SELECT $1::bytea AS a', [new Uint8Array([65, 66, 67])])
    expect(row?.a).toEqual(Buffer.from('ABC'))
  })

  it('round-trips a Date through timestamptz to the exact millisecond', async () => {
    const [row] = await sql`SELECT ${new Date('2024-01-02T03:04:05.678Z')}::timestamptz AS a`
    expect(row?.a).toEqual(new Date('2024-01-02T03:04:05.678Z'))
  })

  it('reads timestamp and date as Dates in the local (UTC) zone', async () => {
    const [row] = await sql`SELECT '2024-01-02 03:04:05.678'::timestamp AS a, '2024-01-02'::date AS d`
    expect(row).toEqual({ a: new Date('2024-01-02T03:04:05.678Z'), d: new Date('2024-01-02T00:00:00.000Z') })
  })

  it('parses interval into its parts and leaves time and uuid as strings', async () => {
    const [row] =
      await sql`SELECT '1 day 02:03:04'::interval AS i, '03:04:05'::time AS t, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u`
    expect(row?.i).toEqual({ days: 1, hours: 2, minutes: 3, seconds: 4 })
    expect(row?.t).toBe('03:04:05')
    expect(row?.u).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')
  })

  it('round-trips non-ASCII text and backslashes unchanged', async () => {
    expect(await sql`SELECT ${'ünï€😀'} AS u, ${'a\\b'} AS b`).toEqual([{ u: 'ünï€😀', b: 'a\\b' }])
  })

  it('tells an empty string from NULL', async () => {
    expect(await sql`SELECT ''::text AS e, NULL::text AS n, ${''} AS p`).toEqual([{ e: '', n: null, p: '' }])
  })

  it('parses numeric[] into numbers, bool[] into booleans, timestamptz[] into Dates and point into {x, y}', async () => {
    const [row] =
      await sql`SELECT '{1.5,2}'::numeric[] AS n, '{t,f,NULL}'::bool[] AS b, '{"2024-01-02 03:04:05+00"}'::timestamptz[] AS ts, '(1.5,-2)'::point AS p`
    expect(row).toEqual({
      n: [1.5, 2],
      b: [true, false, null],
      ts: [new Date('2024-01-02T03:04:05.000Z')],
      p: { x: 1.5, y: -2 },
    })
  })

  it('keeps json exactly as written and jsonb as Postgres normalises it', async () => {
    expect(
      await sql`SELECT ${'{"b": 1,  "a": [2]}'}::json::text AS j, ${'{"b": 1,  "a": [2]}'}::jsonb::text AS jb`,
    ).toEqual([{ j: '{"b": 1,  "a": [2]}', jb: '{"a": [2], "b": 1}' }])
  })

  it('returns an enum value as a string and an enum array as its raw literal', async () => {
    // Created, read and dropped in one batch, so nothing is left behind on the shared database.
    const type = `mood_${Math.random().toString(36).slice(2, 8)}`
    const results = await sql.transaction([
      sql.query(`CREATE TYPE ${type} AS ENUM ('happy', 'sad')`),
      sql.query(`SELECT 'happy'::${type} AS m, '{happy,sad}'::${type}[] AS ms`),
      sql.query(`DROP TYPE ${type}`),
    ])
    expect(results).toEqual([[], [{ m: 'happy', ms: '{happy,sad}' }], []])
  })
})
