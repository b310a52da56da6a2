/**
 * A throwaway Postgres that speaks only TLS, for the gateway's `sslmode` tests: a fresh `initdb` started on a free
 * port as the `postgres` user, its certificate (for the name `localhost` only) signed by a throwaway CA made with
 * `openssl`, plus a second CA that signed nothing of it. Stopped and deleted by `remove()`, or, should the test process
 * die first (a runner killed on a timeout skips every afterAll), by a watchdog that outlives it.
 */
import { execFile, spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { asPostgres, asPostgresArgv, freePort, PG_BIN } from './postgres-user'

const run = promisify(execFile)

export interface TlsPostgres {
  port: number
  /** The CA that signed the server's certificate (PEM file). */
  caFile: string
  /** A CA that has nothing to do with the server's certificate (PEM file). */
  otherCaFile: string
  /** `postgres://postgres@<host>:<port>/postgres`, with these connection string parameters. */
  urlFor(host: string, parameters: Record<string, string>): string
  /** Stops the server and deletes its data directory and certificates. */
  remove(): Promise<void>
}

/** Why this machine cannot have one (no Postgres binaries, no openssl), or undefined when it can. */
export function tlsPostgresUnavailable(): string | undefined {
  if (!existsSync(join(PG_BIN, 'initdb'))) return `no Postgres binaries in ${PG_BIN} (set PG_BIN)`
  if (spawnSync('openssl', ['version']).status !== 0) return 'no openssl to make certificates with'
  return undefined
}

/** `openssl req`'s arguments for a new, unencrypted P-256 key: small and fast to make, as a test's keys should be. */
const NEW_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/** Makes a CA (key and self-signed certificate) named `name` in `dir`. */
async function makeCa(dir: string, name: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    ...NEW_P256_KEY,
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.crt`),
    '-days',
    '2',
    '-subj',
    `/CN=Edgeline test ${name}`,
  ])
}

/** Makes `server.key` and `server.crt` in `dir`: a certificate for `localhost` alone (no IP address), signed by `ca`. */
async function makeServerCertificate(dir: string, ca: string): Promise<void> {
  const extensions = join(dir, 'server.ext')
  writeFileSync(
    extensions,
    'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  )
  await run('openssl', [
    'req',
    '-new',
    ...NEW_P256_KEY,
    '-keyout',
    join(dir, 'server.key'),
    '-out',
    join(dir, 'server.csr'),
    '-subj',
    '/CN=localhost',
  ])
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, 'server.csr'),
    '-CA',
    join(dir, `${ca}.crt`),
    '-CAkey',
    join(dir, `${ca}.key`),
    '-set_serial',
    '1',
    '-days',
    '2',
    '-out',
    join(dir, 'server.crt'),
    '-extfile',
    extensions,
  ])
}

/** A detached shell that, once process `pid` is gone, stops the server in `dataDir` and deletes `root`. */
function removeWhenGone(pid: number, root: string, dataDir: string) {
  const [file, args] = asPostgresArgv(`${PG_BIN}/pg_ctl`, ['-D', dataDir, 'stop', '-m', 'immediate'])
  const watchdog = spawn(
    'sh',
    [
      '-c',
      'pid=$1 root=$2; shift 2; while kill -0 "$pid" 2>/dev/null; do sleep 1; done; "$@"; rm -rf "$root"',
      'sh',
      String(pid),
      root,
      file,
      ...args,
    ],
    { detached: true, stdio: 'ignore' },
  )
  watchdog.unref()
  return watchdog
}

export async function startTlsPostgres(): Promise<TlsPostgres> {
  // One folder for all of it, the postgres user's: initdb makes `data` inside; root (the test) reads the CAs.
  const root = mkdtempSync(join(tmpdir(), 'edgeline-tls-postgres-'))
  chmodSync(root, 0o755)
  const dataDir = join(root, 'data')
  const port = await freePort()
  const pgCtl = (...args: string[]) =>
    asPostgres(`${PG_BIN}/pg_ctl`, ['-D', dataDir, '-w', '-t', '60', ...args])
  const watchdog = removeWhenGone(process.pid, root, dataDir)
  const remove = async () => {
    watchdog.kill()
    await pgCtl('stop', '-m', 'immediate').catch(() => undefined)
    await run('rm', ['-rf', root]).catch(() => undefined)
  }
  try {
    await makeCa(root, 'ca')
    await makeCa(root, 'other-ca')
    await makeServerCertificate(root, 'ca')
    // Postgres refuses a key others can read, and one its user cannot.
    chmodSync(join(root, 'server.key'), 0o600)
    await run('chown', ['postgres:postgres', root, join(root, 'server.key')]).catch(() => undefined)
    await asPostgres(`${PG_BIN}/initdb`, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'])
    const conf = [
      `port = ${port}`,
      `listen_addresses = 'localhost'`,
      `unix_socket_directories = '${dataDir}'`,
      'shared_buffers = 16MB',
      'max_connections = 20',
      'ssl = on',
      `ssl_cert_file = '${join(root, 'server.crt')}'`,
      `ssl_key_file = '${join(root, 'server.key')}'`,
    ].join('\n')
    await asPostgres('sh', ['-c', 'cat >> "$1/postgresql.conf"', 'sh', dataDir], `${conf}\n`)
    // TLS or nothing: a session that connects at all is proof that it is encrypted.
    await asPostgres(
      'sh',
      ['-c', 'cat > "$1/pg_hba.conf"', 'sh', dataDir],
      'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n',
    )
    await pgCtl('start', '-l', join(dataDir, 'server.log'))
  } catch (error) {
    await remove()
    throw error
  }
  return {
    port,
    caFile: join(root, 'ca.crt'),
    otherCaFile: join(root, 'other-ca.crt'),
    urlFor(host, parameters) {
      const url = new URL(`postgres://postgres@${host}:${port}/postgres`)
      for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value)
      return url.toString()
    },
    remove,
  }
}
