/**
 * No request sees what an earlier one left on its connection, whether the SQL set it directly or a called function
 * did (which no reading of the SQL text can show). Real Postgres runs through a gateway of its own with a pool of
 * ONE connection, so every request surely reuses the previous one's backend; PGlite has only one connection.
 */
import { neon, neonConfig } from '@neondatabase/serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMBEDDED_DATABASE_HOST } from '../../db/database-url'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { backends, routeToTheGateways, sqlEndpoint, uniqueName } from './backends'

let poolOfOne: SqlGateway
beforeAll(async () => {
  poolOfOne = await startSqlGateway({ port: 0, poolSize: 1 })
  // PGlite stays on the run's shared gateway (starting another costs seconds and hundreds of MiB).
  neonConfig.fetchEndpoint = (host) => (host === EMBEDDED_DATABASE_HOST ? sqlEndpoint : poolOfOne.url)
})
afterAll(async () => {
  neonConfig.fetchEndpoint = routeToTheGateways
  await poolOfOne?.close()
})

/** How one kind of state is left behind, and how the next request would see it. */
interface LeakCase {
  kind: string
  /** Leaves the state on the connection: [directly, through a called function]. */
  leave: (names: Names) => { direct: string; viaFunction?: string }
  /** A single SELECT whose one value is what the next request sees: must equal `clean`. */
  observe: (names: Names) => string
  clean: unknown
}

interface Names {
  fn: string
  table: string
  sequence: string
  channel: string
  role: string
  lockKey: number
}

const cases: LeakCase[] = [
  {
    kind: 'a setting (set_config, as row-level-security setups do per request)',
    leave: ({ fn }) => ({
      direct: `SELECT set_config('app.user_id', '42', false)`,
      viaFunction: `SELECT ${fn}_setting()`,
    }),
    observe: () => `SELECT coalesce(current_setting('app.user_id', true), '') AS seen`,
    clean: '',
  },
  {
    kind: 'a temporary table and its rows',
    leave: ({ fn, table }) => ({
      direct: `CREATE TEMP TABLE ${table} AS SELECT 42 AS secret`,
      viaFunction: `SELECT ${fn}_temp_table()`,
    }),
    observe: ({ table }) => `SELECT to_regclass('pg_temp.${table}')::text AS seen`,
    clean: null,
  },
  {
    kind: 'a prepared statement',
    leave: ({ fn }) => ({ direct: `PREPARE ${fn}_plan AS SELECT 42`, viaFunction: `SELECT ${fn}_prepare()` }),
    observe: () => 'SELECT count(*)::int AS seen FROM pg_prepared_statements',
    clean: 0,
  },
  {
    kind: 'an advisory lock',
    leave: ({ fn, lockKey }) => ({
      direct: `SELECT pg_advisory_lock(${lockKey})`,
      viaFunction: `SELECT ${fn}_lock()`,
    }),
    observe: ({ lockKey }) =>
      `SELECT count(*)::int AS seen FROM pg_locks WHERE locktype = 'advisory' AND objid = ${lockKey}`,
    clean: 0,
  },
  {
    kind: 'SET ROLE',
    leave: ({ fn, role }) => ({ direct: `SET ROLE ${role}`, viaFunction: `SELECT ${fn}_role()` }),
    observe: () => 'SELECT current_user::text AS seen',
    clean: 'postgres',
  },
  {
    kind: 'SET SESSION AUTHORIZATION',
    leave: ({ fn, role }) => ({
      direct: `SET SESSION AUTHORIZATION ${role}`,
      viaFunction: `SELECT ${fn}_session_authorization()`,
    }),
    observe: () => 'SELECT session_user::text AS seen',
    clean: 'postgres',
  },
  {
    kind: 'LISTEN',
    leave: ({ fn, channel }) => ({ direct: `LISTEN ${channel}`, viaFunction: `SELECT ${fn}_listen()` }),
    observe: () => 'SELECT count(*)::int AS seen FROM pg_listening_channels()',
    clean: 0,
  },
  {
    // A function's cursors close with its transaction; only a holdable one, declared directly, outlives it.
    kind: 'a cursor WITH HOLD',
    leave: ({ fn }) => ({ direct: `DECLARE ${fn}_cursor CURSOR WITH HOLD FOR SELECT 42` }),
    // pg_cursors also lists the protocol's own unnamed portal, the one this very SELECT runs in.
    observe: () => `SELECT count(*)::int AS seen FROM pg_cursors WHERE name <> ''`,
    clean: 0,
  },
  {
    kind: "a sequence's currval",
    leave: ({ fn, sequence }) => ({
      direct: `SELECT nextval('${sequence}')`,
      viaFunction: `SELECT ${fn}_nextval()`,
    }),
    // currval raises 55000 in a session that never called nextval; the observing SELECT answers whether it would.
    observe: ({ fn }) => `SELECT ${fn}_has_currval() AS seen`,
    clean: false,
  },
]

/** The functions that leave state behind where the caller's SQL cannot show it. */
function functionsSql({ fn, table, sequence, channel, role, lockKey }: Names): string[] {
  const plpgsql = (name: string, body: string, returns = 'void') =>
    `CREATE FUNCTION ${fn}_${name}() RETURNS ${returns} LANGUAGE plpgsql AS $f$ BEGIN ${body} END $f$`
  return [
    `CREATE FUNCTION ${fn}_setting() RETURNS text LANGUAGE sql AS $f$ SELECT set_config('app.user_id', '42', false) $f$`,
    plpgsql('temp_table', `EXECUTE 'CREATE TEMP TABLE ${table} AS SELECT 42 AS secret';`),
    plpgsql('prepare', `EXECUTE 'PREPARE ${fn}_plan AS SELECT 42';`),
    plpgsql('lock', `PERFORM pg_advisory_lock(${lockKey});`),
    plpgsql('role', `PERFORM set_config('role', '${role}', false);`),
    plpgsql('session_authorization', `PERFORM set_config('session_authorization', '${role}', false);`),
    plpgsql('listen', `EXECUTE 'LISTEN ${channel}';`),
    `CREATE SEQUENCE ${sequence}`,
    plpgsql('nextval', `PERFORM nextval('${sequence}');`),
    plpgsql(
      'has_currval',
      `PERFORM currval('${sequence}'); RETURN true; EXCEPTION WHEN object_not_in_prerequisite_state THEN RETURN false;`,
      'boolean',
    ),
  ]
}

describe.each(backends)('a request on $name after another left session state', ({ url }) => {
  const sql = neon(url)
  const names: Names = {
    fn: uniqueName('leak'),
    table: uniqueName('leak_table'),
    sequence: uniqueName('leak_seq'),
    channel: uniqueName('leak_channel'),
    role: uniqueName('leak_role'),
    lockKey: Math.floor(Math.random() * 1_000_000_000),
  }

  beforeAll(async () => {
    await sql.query(`CREATE ROLE ${names.role} NOLOGIN`)
    for (const statement of functionsSql(names)) await sql.query(statement)
    // Every function and sequence here is the role's to call once SET ROLE has run.
    await sql.query(`GRANT USAGE, SELECT ON SEQUENCE ${names.sequence} TO ${names.role}`)
  })

  afterAll(async () => {
    const functions = await sql.query(
      `SELECT oid::regprocedure::text AS signature FROM pg_proc WHERE proname LIKE $1`,
      [`${names.fn}%`],
    )
    for (const { signature } of functions) await sql.query(`DROP FUNCTION ${signature}`)
    await sql.query(`DROP SEQUENCE IF EXISTS ${names.sequence}`)
    await sql.query(`DROP ROLE IF EXISTS ${names.role}`)
  })

  it('reuses the very same backend from one request to the next, so the cases below could see a leak', async () => {
    const [first] = await sql.query('SELECT pg_backend_pid() AS pid')
    const [second] = await sql.query('SELECT pg_backend_pid() AS pid')
    expect(second?.pid).toBe(first?.pid)
  })

  for (const leak of cases) {
    const { direct, viaFunction } = leak.leave(names)
    const ways: [string, string][] = [['directly', direct]]
    if (viaFunction) ways.push(['through a called function', viaFunction])
    for (const [how, statement] of ways) {
      it(`does not see ${leak.kind} set ${how}`, async () => {
        await sql.query(statement)
        const [row] = await sql.query(leak.observe(names))
        expect(row?.seen).toEqual(leak.clean)
      })
    }
  }

  it('does not see state a batch left, though later statements of the batch did', async () => {
    const [, [inside]] = (await sql.transaction([
      sql.query(`SELECT ${names.fn}_setting()`),
      sql.query(`SELECT current_setting('app.user_id', true) AS seen`),
    ])) as [unknown, { seen: string }[]]
    expect(inside?.seen).toBe('42')
    const [after] = await sql.query(`SELECT coalesce(current_setting('app.user_id', true), '') AS seen`)
    expect(after?.seen).toBe('')
  })

  it('does not leave a transaction open after a lone BEGIN: the next request is outside any', async () => {
    await sql.query('BEGIN')
    // SAVEPOINT works only inside a transaction block: it fails unless BEGIN's transaction is still open.
    await expect(sql.query('SAVEPOINT inside')).rejects.toMatchObject({ code: '25P01' })
  })
})
