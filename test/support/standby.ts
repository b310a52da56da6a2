/**
 * A real streaming standby of the test Postgres, for the replica tests and benchmarks (Node only): created with
 * `pg_basebackup -R -X stream`, started on a free port as the `postgres` user, stopped and removed at the end.
 *
 * The shared server is only ever reloaded, never restarted: a `host replication` line is added to its pg_hba.conf
 * for as long as the standby exists (the standby's WAL receiver reconnects with it after every stop and start),
 * then taken out again. Each standby marks its own line, so several can exist at once (test files in parallel).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { asPostgres, asPostgresArgv, freePort, PG_BIN, runWithInput } from './postgres-user'

const run = promisify(execFile)

/** Settings a hot standby must have at least as high as its primary, or it refuses to start. */
const AT_LEAST_THE_PRIMARY = [
  'max_connections',
  'max_worker_processes',
  'max_wal_senders',
  'max_prepared_transactions',
  'max_locks_per_transaction',
]

export interface Standby {
  port: number
  dataDir: string
  /** The standby's copy of the primary's database named in `primaryUrl` (its host and port swapped). */
  url: string
  /** Any database of the standby (for reading its statistics from a database the app does not use). */
  urlOf(database: string): string
  /** `pg_wal_replay_pause()`: WAL still arrives, nothing more becomes visible on the standby. */
  pauseReplay(): Promise<void>
  resumeReplay(): Promise<void>
  /** `pg_ctl stop -m fast`: the standby refuses connections until `start`. */
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops it, deletes its data directory, and takes its pg_hba.conf line out of the primary (then reloads). */
  remove(): Promise<void>
}

export class StandbyUnavailable extends Error {}

/**
 * Several standbys may be made or removed at once (test files run in parallel): every edit of the primary's
 * pg_hba.conf holds this lock, or one edit's rewrite could drop another's line.
 */
const HBA_LOCK = join(tmpdir(), 'edgeline-standby-pg_hba.lock')

/** Runs a shell script as `postgres` on pg_hba.conf (`$1` the file, `$2` the line or marker), under the lock. */
async function editHba(script: string, hbaFile: string, text: string): Promise<void> {
  const [file, args] = asPostgresArgv('sh', ['-c', script, 'sh', hbaFile, text])
  await runWithInput('flock', [HBA_LOCK, file, ...args])
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(text)).rows
  } finally {
    await client.end()
  }
}

/** Takes the lines marked `marker` out of the primary's pg_hba.conf, in place, then reloads it. */
async function removeHbaLine(hbaFile: string, marker: string, primaryUrl: string): Promise<void> {
  await editHba(
    't=$(mktemp) && { grep -vF -- "$2" "$1" > "$t"; cat "$t" > "$1"; rm -f "$t"; }',
    hbaFile,
    marker,
  )
  await query(primaryUrl, 'select pg_reload_conf()')
}

/**
 * pg_basebackup, tried again for a few seconds while the server refuses the replication connection: the reload
 * that admits it is asynchronous (`pg_reload_conf()` only signals the postmaster).
 */
async function baseBackup(args: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await asPostgres(`${PG_BIN}/pg_basebackup`, args)
      return
    } catch (error) {
      if (attempt >= 10 || !/pg_hba\.conf/.test(String(error))) throw error
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}

/**
 * Creates and starts a standby of the server behind `primaryUrl` (a `postgres` superuser on 127.0.0.1, as the
 * tests' TEST_DATABASE_URL is). Throws `StandbyUnavailable` when the primary cannot have one without a restart
 * (`wal_level = minimal`, or no WAL senders).
 */
export async function createStandby(primaryUrl: string): Promise<Standby> {
  const primary = new URL(primaryUrl)
  const settings = new Map(
    (
      await query<{ name: string; setting: string }>(
        primaryUrl,
        `select name, setting from pg_settings where name in ('wal_level', 'hba_file', ${AT_LEAST_THE_PRIMARY.map((name) => `'${name}'`).join(', ')})`,
      )
    ).map((row) => [row.name, row.setting]),
  )
  if (settings.get('wal_level') === 'minimal') {
    throw new StandbyUnavailable('wal_level is minimal on the primary: a standby needs replica (a restart)')
  }
  if (settings.get('max_wal_senders') === '0') {
    throw new StandbyUnavailable('max_wal_senders is 0 on the primary: a standby needs one (a restart)')
  }
  const hbaFile = settings.get('hba_file') as string
  const port = await freePort()
  const marker = `# edgeline test standby ${process.pid}-${port}`
  const dataDir = mkdtempSync(join(tmpdir(), 'edgeline-standby-'))
  await run('chown', ['postgres:postgres', dataDir]).catch(() => undefined)

  const hostPort = `${primary.hostname}:${primary.port || '5432'}`
  const user = decodeURIComponent(primary.username || 'postgres')
  await editHba(
    'printf "%s\\n" "$2" >> "$1"',
    hbaFile,
    `host replication ${user} ${primary.hostname}/32 trust ${marker}`,
  )
  const removeLine = () => removeHbaLine(hbaFile, marker, primaryUrl)
  try {
    await query(primaryUrl, 'select pg_reload_conf()')
    await baseBackup([
      '-h',
      primary.hostname,
      '-p',
      primary.port || '5432',
      '-U',
      user,
      '-D',
      dataDir,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
    ])
    // Debian keeps the configuration beside, not inside, the data directory: the standby gets its own.
    const conf = [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dataDir}'`,
      'hot_standby = on',
      'shared_buffers = 32MB',
      ...AT_LEAST_THE_PRIMARY.map((name) => `${name} = ${settings.get(name)}`),
      `include_if_exists = 'postgresql.auto.conf'`,
    ].join('\n')
    await asPostgres('sh', ['-c', 'cat > "$1/postgresql.conf"', 'sh', dataDir], `${conf}\n`)
    await asPostgres(
      'sh',
      ['-c', 'cat > "$1/pg_hba.conf"', 'sh', dataDir],
      'local all all trust\nhost all all 127.0.0.1/32 trust\n',
    )
    await asPostgres('sh', ['-c', ': > "$1/pg_ident.conf"', 'sh', dataDir])
  } catch (error) {
    await removeLine().catch(() => undefined)
    await run('rm', ['-rf', dataDir]).catch(() => undefined)
    throw error
  }

  const urlOf = (database: string) => {
    const url = new URL(primaryUrl)
    url.hostname = '127.0.0.1'
    url.port = String(port)
    url.pathname = `/${database}`
    return url.href
  }
  const url = urlOf(primary.pathname.slice(1) || 'postgres')
  const pgCtl = (...args: string[]) =>
    asPostgres(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-w', '-t', '60', ...args])
  const standby: Standby = {
    port,
    dataDir,
    url,
    urlOf,
    pauseReplay: async () => void (await query(url, 'select pg_wal_replay_pause()')),
    resumeReplay: async () => void (await query(url, 'select pg_wal_replay_resume()')),
    stop: async () => void (await pgCtl('stop', '-m', 'fast')),
    start: async () => {
      await pgCtl('start', '-l', join(dataDir, 'standby.log'))
      await waitUntilStreaming(url, hostPort)
    },
    remove: async () => {
      await pgCtl('stop', '-m', 'immediate').catch(() => undefined)
      await run('rm', ['-rf', dataDir]).catch(() => undefined)
      await removeLine()
    },
  }
  try {
    await standby.start()
  } catch (error) {
    await standby.remove().catch(() => undefined)
    throw error
  }
  return standby
}

/** Resolves once the standby accepts read-only sessions and its WAL receiver streams from the primary. */
async function waitUntilStreaming(url: string, primaryHostPort: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const [row] = await query<{ status: string | null }>(
        url,
        'select (select status from pg_stat_wal_receiver) as status',
      )
      if (row?.status === 'streaming') return
      last = `WAL receiver: ${row?.status ?? 'not running'}`
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(
    `the standby did not stream from ${primaryHostPort} within ${timeoutMs} ms: ${String(last)}`,
  )
}
