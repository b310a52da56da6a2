/** Where the app finds Postgres when it runs locally: pure, edge-safe constants shared by the app and the dev tools. */

/**
 * The embedded database (PGlite inside the local endpoint). The `.localhost` name is reserved (RFC 6761), so it
 * can never be a real Neon host; the driver never resolves it, it only sends it to the endpoint as a header.
 */
export const EMBEDDED_DATABASE_URL = 'postgresql://edgeline@pglite.localhost/edgeline'

/** Host name that selects the embedded backend in the local endpoint. */
export const EMBEDDED_DATABASE_HOST = 'pglite.localhost'

/** The local Neon SQL-over-HTTP endpoint (`npm run db:local`), on a fixed, documented port. */
export const DEFAULT_LOCAL_SQL_PORT = 4444
export const DEFAULT_LOCAL_SQL_ENDPOINT = `http://127.0.0.1:${DEFAULT_LOCAL_SQL_PORT}/sql`

/**
 * True when a connection string names a database on this machine, which Neon's cloud proxy could never reach:
 * such URLs are sent to the local endpoint instead. Everything else goes to Neon unchanged.
 */
export function isLocalDatabaseUrl(databaseUrl: string): boolean {
  let hostname: string
  try {
    hostname = new URL(databaseUrl).hostname
  } catch {
    return false
  }
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  )
}
