/**
 * The container's entry point: refuses settings whose data a container would lose, then runs the production server
 * (`server.mjs`, beside this folder) in this very process, so that it is PID 1 and gets the stop signal itself.
 * `docker run … edgeline migrate` reaches the server as `node server.mjs migrate` (decision 0026).
 */
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { resolve } from 'node:path'

/** Where the server writes what it keeps (the embedded database, its own token secret): `.data` where it runs. */
const DATA_DIR = resolve('.data')
/** sysexits' EX_CONFIG: the container was started with settings it cannot honour. */
const EXIT_CONFIG = 78

// Until the server installs its own handlers (they drain in-flight requests, then exit 0), a stop signal ends the
// process at once: Node as PID 1 would otherwise ignore it, and the runtime kill the container after its timeout.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (process.listenerCount(signal) > 1) return
    process.exit(128 + osConstants.signals[signal])
  })
}

const refusal = refusalFor(process.env, process.argv[2] === 'migrate', dataVolumeIsMounted())
if (refusal) {
  console.error(refusal.map((line, index) => (index === 0 ? `✗ ${line}` : `  ${line}`)).join('\n'))
  process.exit(EXIT_CONFIG)
}
// The server reads its arguments from process.argv.slice(2), which are this script's.
await import(new URL('../server.mjs', import.meta.url).href)

/**
 * Why this container must not start, line by line, or undefined. Without a volume at DATA_DIR, what the server
 * would write for itself (the embedded database, a token secret) stays in the container's own layer and is lost
 * with it, or cannot be written at all under --read-only.
 */
function refusalFor(env, migrateOnly, dataVolume) {
  if (dataVolume) return undefined
  if (!env.DATABASE_URL) {
    return [
      `DATABASE_URL is not set, and no volume is mounted at ${DATA_DIR} for the embedded database.`,
      'Inside the container that database would be lost with it, so it is not started. Either name your Postgres:',
      '  docker run -e DATABASE_URL=postgresql://user:password@host:5432/db -e JWT_SECRET=… -p 3000:3000 edgeline',
      'or keep the embedded database (and its token secret) in a volume:',
      `  docker run -v edgeline-data:${DATA_DIR} -p 3000:3000 edgeline`,
    ]
  }
  if (!migrateOnly && !env.JWT_SECRET && !env.JWKS_URL) {
    return [
      'JWT_SECRET (or JWKS_URL) is not set.',
      'A secret made inside the container would be lost with it, and every session with it.',
      'Make one (openssl rand -base64 48) and pass it: docker run -e JWT_SECRET=… edgeline',
    ]
  }
  return undefined
}

/** True when a writable file system (a volume, a bind mount) is mounted at DATA_DIR itself. */
function dataVolumeIsMounted() {
  let mountInfo
  try {
    mountInfo = readFileSync('/proc/self/mountinfo', 'utf8')
  } catch {
    return false // Not Linux: no container either.
  }
  // The fifth field of each line is the mount point, spaces and the like written as octal escapes.
  const mountPoints = mountInfo
    .split('\n')
    .map((line) =>
      line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, code) => String.fromCharCode(parseInt(code, 8))),
    )
  if (!mountPoints.includes(DATA_DIR)) return false
  try {
    accessSync(DATA_DIR, fsConstants.W_OK)
    return true
  } catch {
    return false
  }
}
