/**
 * Conformance cases 39–40 through `drizzle-orm/neon-http`. Its own file: drizzle replaces the driver's global type
 * parsers (timestamps, dates, intervals stay strings), which would change what the raw-driver suites see.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql as dsql, eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/neon-http'
import { migrate } from 'drizzle-orm/neon-http/migrator'
import { bigint, numeric, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core'
import { describe, expect, it } from 'vitest'
import { backends, connect, recordRequests, type SentRequest, uniqueName } from './backends'

/** Writes a drizzle-kit style migrations folder (journal + one .sql file per entry) into a fresh temp dir. */
async function writeMigrations(migrations: { tag: string; when: number; sql: string }[]): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'edgeline-migrations-'))
  await mkdir(join(folder, 'meta'))
  const entries = migrations.map(({ tag, when }, idx) => ({
    idx,
    version: '7',
    when,
    tag,
    breakpoints: true,
  }))
  await writeFile(
    join(folder, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: 'postgresql', entries }),
  )
  for (const { tag, sql } of migrations) await writeFile(join(folder, `${tag}.sql`), sql)
  return folder
}

describe.each(backends)('drizzle-orm/neon-http on $name', ({ url }) => {
  const client = connect(url)
  const db = drizzle({ client })

  it('runs db.batch as one transaction request without batch headers and returns typed rows', async () => {
    const name = uniqueName('orders')
    const orders = pgTable(name, {
      id: serial('id').primaryKey(),
      item: text('item').notNull(),
      quantity: bigint('quantity', { mode: 'bigint' }).notNull(),
      price: numeric('price', { precision: 10, scale: 2 }).notNull(),
      placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
    })
    await db.execute(
      dsql.raw(
        `CREATE TABLE "${name}" (id serial PRIMARY KEY, item text NOT NULL, quantity int8 NOT NULL, price numeric(10, 2) NOT NULL, placed_at timestamptz NOT NULL)`,
      ),
    )
    const placedAt = new Date('2026-11-25T03:53:32.632Z')

    const { result, sent } = await recordRequests(() =>
      db.batch([
        db
          .insert(orders)
          .values({ item: 'pen', quantity: 9007199254740993n, price: '1.50', placedAt })
          .returning(),
        db.select().from(orders).where(eq(orders.item, 'pen')),
      ]),
    )

    const expected = { id: 1, item: 'pen', quantity: 9007199254740993n, price: '1.50', placedAt }
    expect(result).toEqual([[expected], [expected]])
    expect(sent).toHaveLength(1)
    const [{ headers, body }] = sent as [SentRequest]
    expect((body as { queries: unknown[] }).queries).toHaveLength(2)
    expect([...headers.keys()].filter((key) => key.startsWith('neon-batch-'))).toEqual([])
    await db.execute(dsql.raw(`DROP TABLE "${name}"`))
  })

  it('returns timestamps as the exact Postgres text from db.execute, since drizzle turns off date parsing', async () => {
    const result = await db.execute(
      dsql`SELECT '2026-11-25 03:53:32.632+00'::timestamptz AS at, '2024-01-02'::date AS d, '1 day'::interval AS i`,
    )
    expect(result.rows).toEqual([{ at: '2026-11-25 03:53:32.632+00', d: '2024-01-02', i: '1 day' }])
  })

  it('exposes the rowCount of an UPDATE run through db.execute', async () => {
    const name = uniqueName('counted')
    await db.execute(dsql.raw(`CREATE TABLE "${name}" (id int PRIMARY KEY, v text)`))
    await db.execute(dsql.raw(`INSERT INTO "${name}" VALUES (1, 'a'), (2, 'b'), (3, 'c')`))
    const result = await db.execute(dsql`UPDATE ${dsql.identifier(name)} SET v = ${'z'} WHERE id >= ${2}`)
    expect(result).toMatchObject({ command: 'UPDATE', rowCount: 2, rows: [] })
    await db.execute(dsql.raw(`DROP TABLE "${name}"`))
  })

  it('refuses db.transaction without sending anything', async () => {
    const { sent } = await recordRequests(async () => {
      await expect(db.transaction(async () => undefined)).rejects.toThrow(
        'No transactions support in neon-http driver',
      )
    })
    expect(sent).toEqual([])
  })

  it('wraps a failing query in a DrizzleQueryError whose cause is the NeonDbError', async () => {
    const error = await db.execute(dsql`SELECT 1/0`).then(
      () => expect.unreachable('the query should have failed'),
      (reason: Error) => reason,
    )
    expect(error.message).toMatch(/^Failed query: SELECT 1\/0/)
    expect(error.cause).toMatchObject({ name: 'NeonDbError', code: '22012', message: 'division by zero' })
  })

  it('applies each migration once with migrate(), and a rerun is a no-op', async () => {
    // A schema of its own for the migrations journal: the app's tests migrate the same database into "drizzle".
    const migrationsSchema = uniqueName('drizzle')
    const table = uniqueName('migrated')
    const folder = await writeMigrations([
      {
        tag: '0000_create',
        when: 1_700_000_000_000,
        sql: `CREATE TABLE "${table}" (id int PRIMARY KEY, label text NOT NULL);\n--> statement-breakpoint\nINSERT INTO "${table}" VALUES (1, 'first');`,
      },
      {
        tag: '0001_add_column',
        when: 1_700_000_100_000,
        sql: `ALTER TABLE "${table}" ADD COLUMN note text;\n--> statement-breakpoint\nINSERT INTO "${table}" VALUES (2, 'second', 'n');`,
      },
    ])
    try {
      await migrate(db, { migrationsFolder: folder, migrationsSchema })
      const applied = await db.execute(
        dsql`SELECT hash, created_at FROM ${dsql.identifier(migrationsSchema)}.__drizzle_migrations ORDER BY id`,
      )
      expect(applied.rows.map((row) => row.created_at)).toEqual(['1700000000000', '1700000100000'])
      expect(applied.rows.every((row) => /^[0-9a-f]{64}$/.test(row.hash as string))).toBe(true)

      const { sent } = await recordRequests(() => migrate(db, { migrationsFolder: folder, migrationsSchema }))
      // Only the bookkeeping: create schema, create journal table, read the last entry.
      expect(sent).toHaveLength(3)
      const rows = await db.execute(dsql.raw(`SELECT id, label, note FROM "${table}" ORDER BY id`))
      expect(rows.rows).toEqual([
        { id: 1, label: 'first', note: null },
        { id: 2, label: 'second', note: 'n' },
      ])
      const journal = await db.execute(
        dsql`SELECT count(*)::int AS n FROM ${dsql.identifier(migrationsSchema)}.__drizzle_migrations`,
      )
      expect(journal.rows).toEqual([{ n: 2 }])
    } finally {
      await db.execute(dsql.raw(`DROP TABLE IF EXISTS "${table}"`))
      await db.execute(dsql.raw(`DROP SCHEMA IF EXISTS "${migrationsSchema}" CASCADE`))
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('fails a migration chunk holding two statements without a breakpoint', async () => {
    const migrationsSchema = uniqueName('drizzle')
    const table = uniqueName('unsplit')
    const folder = await writeMigrations([
      {
        tag: '0000_unsplit',
        when: 1_700_000_000_000,
        sql: `CREATE TABLE "${table}" (id int);\nINSERT INTO "${table}" VALUES (1);`,
      },
    ])
    try {
      const error = await migrate(db, { migrationsFolder: folder, migrationsSchema }).then(
        () => expect.unreachable('the migration should have failed'),
        (reason: Error) => reason,
      )
      expect(error.cause).toMatchObject({
        code: '42601',
        message: 'cannot insert multiple commands into a prepared statement',
      })
    } finally {
      await db.execute(dsql.raw(`DROP TABLE IF EXISTS "${table}"`))
      await db.execute(dsql.raw(`DROP SCHEMA IF EXISTS "${migrationsSchema}" CASCADE`))
      await rm(folder, { recursive: true, force: true })
    }
  })
})
