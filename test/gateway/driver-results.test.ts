/** Conformance cases 17–23: the result object (fields, command, rowCount, arrayMode) as the Neon driver returns it. */
import type { NeonQueryPromise } from '@neondatabase/serverless'
import { describe, expect, it } from 'vitest'
import { backends, connect, uniqueName } from './backends'

/** RowDescription of a computed (not table) column, as Postgres sends it. */
function computedField(name: string, dataTypeID: number, dataTypeSize: number) {
  return { name, dataTypeID, tableID: 0, columnID: 0, dataTypeSize, dataTypeModifier: -1, format: 'text' }
}

describe.each(backends)('results through the Neon driver on $name', ({ url }) => {
  const sql = connect(url)

  it('returns no rows, but a rowCount of 0 and the column, when nothing matches', async () => {
    expect(await sql`SELECT 1 AS a WHERE false`).toEqual([])
    const result = await sql.query('SELECT 1 AS a WHERE false', [], { fullResults: true })
    expect(result.rowCount).toBe(0)
    expect(result.rows).toEqual([])
    expect(result.fields).toHaveLength(1)
    expect(result.command).toBe('SELECT')
  })

  it('returns exactly the full-results object node-postgres would, with exact field metadata', async () => {
    const result = await sql.query('SELECT 1::int AS a, $1::text AS b', ['x'], { fullResults: true })
    expect(result.fields).toEqual([computedField('a', 23, 4), computedField('b', 25, -1)])
    expect(result).toMatchObject({
      rows: [{ a: 1, b: 'x' }],
      command: 'SELECT',
      rowCount: 1,
      rowAsArray: false,
      viaNeonFetch: true,
    })
    // The driver passes the server's object through, so the endpoint must add no keys of its own.
    expect(Object.keys(result).sort()).toEqual(
      ['_parsers', '_types', 'command', 'fields', 'rowAsArray', 'rowCount', 'rows', 'viaNeonFetch'].sort(),
    )
  })

  it('reports the table, column number and type modifier of a table column', async () => {
    const table = uniqueName('fields')
    await sql.query(`CREATE TABLE ${table} (id int8, name varchar(20))`)
    const result = await sql.query(`SELECT name, id FROM ${table}`, [], { fullResults: true })
    const [{ oid }] = (await sql.query('SELECT $1::regclass::oid::int AS oid', [table])) as [{ oid: number }]
    expect(result.fields).toEqual([
      {
        name: 'name',
        dataTypeID: 1043,
        tableID: oid,
        columnID: 2,
        dataTypeSize: -1,
        dataTypeModifier: 24,
        format: 'text',
      },
      {
        name: 'id',
        dataTypeID: 20,
        tableID: oid,
        columnID: 1,
        dataTypeSize: 8,
        dataTypeModifier: -1,
        format: 'text',
      },
    ])
    await sql.query(`DROP TABLE ${table}`)
  })

  it('keeps every column of repeated names in array mode, and the last one in object mode', async () => {
    expect(await sql.query('SELECT 1 AS a, 2 AS a', [], { arrayMode: true })).toEqual([[1, 2]])
    expect(await sql.query('SELECT 1 AS a, 2 AS a')).toEqual([{ a: 2 }])
  })

  it('reports CREATE TABLE with a null rowCount and no fields', async () => {
    const table = uniqueName('created')
    const result = await sql.query(`CREATE TABLE ${table} (id int)`, [], { fullResults: true })
    expect(result).toMatchObject({ command: 'CREATE', rowCount: null, rows: [], fields: [] })
    await sql.query(`DROP TABLE ${table}`)
  })

  it('counts the rows INSERT, UPDATE and DELETE touched, and returns RETURNING rows', async () => {
    const table = uniqueName('counted')
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`)
    const inserted = await sql.query(`INSERT INTO ${table} VALUES (1, 'a'), (2, 'b'), (3, 'c')`, [], {
      fullResults: true,
    })
    expect(inserted).toMatchObject({ command: 'INSERT', rowCount: 3, rows: [], fields: [] })
    const updated = await sql.query(`UPDATE ${table} SET v = 'x' WHERE id <= 2`, [], { fullResults: true })
    expect(updated).toMatchObject({ command: 'UPDATE', rowCount: 2, rows: [] })
    const deleted = await sql.query(`DELETE FROM ${table} WHERE id = 3 RETURNING *`, [], {
      fullResults: true,
    })
    expect(deleted).toMatchObject({ command: 'DELETE', rowCount: 1, rows: [{ id: 3, v: 'c' }] })
    await sql.query(`DROP TABLE ${table}`)
  })

  it('reports CREATE TABLE AS as a SELECT with the rows it copied', async () => {
    const table = uniqueName('copied')
    const result = await sql.query(`CREATE TABLE ${table} AS SELECT generate_series(1, 4) AS n`, [], {
      fullResults: true,
    })
    expect(result).toMatchObject({ command: 'SELECT', rowCount: 4, rows: [], fields: [] })
    await sql.query(`DROP TABLE ${table}`)
  })

  it('reports SHOW with a null rowCount and a text column', async () => {
    const result = await sql.query('SHOW TimeZone', [], { fullResults: true })
    expect(result).toMatchObject({ command: 'SHOW', rowCount: null, rows: [{ TimeZone: 'UTC' }] })
    expect(result.fields).toEqual([computedField('TimeZone', 25, -1)])
  })

  it('answers an empty query string with an empty command and no fields', async () => {
    const result = await sql.query('', [], { fullResults: true })
    expect(result).toMatchObject({ command: '', rowCount: null, rows: [], fields: [] })
  })

  it('applies array mode and full results per query inside a transaction', async () => {
    // The driver's types forbid per-query options in a transaction, but it honours them (drizzle relies on it).
    const [objects, arrays] = await sql.transaction([
      sql.query('SELECT 1::int AS a', [], { fullResults: true }) as unknown as NeonQueryPromise<false, false>,
      sql.query('SELECT 2::int AS a', [], { arrayMode: true }) as unknown as NeonQueryPromise<false, false>,
    ])
    expect(objects).toMatchObject({ command: 'SELECT', rowCount: 1, rows: [{ a: 1 }], rowAsArray: false })
    expect(arrays).toEqual([[2]])
  })
})
