/** Where the app finds Postgres: Neon's own hosts, or our SQL-over-HTTP gateway for any other. Pure and edge-safe. */

/**
 * The embedded database (PGlite inside the gateway). The `.localhost` name is reserved (RFC 6761), so it
 * can never be a real Neon host; the driver never resolves it, it only sends it to the endpoint as a header.
 */
export const EMBEDDED_DATABASE_URL = 'postgresql://edgeline@pglite.localhost/edgeline'

/** Host name that selects the embedded backend in the gateway. */
export const EMBEDDED_DATABASE_HOST = 'pglite.localhost'

/** The SQL-over-HTTP gateway (`npm run db:gateway`), on a fixed, documented port. */
export const DEFAULT_SQL_GATEWAY_PORT = 4444
export const DEFAULT_SQL_GATEWAY_ENDPOINT = `http://127.0.0.1:${DEFAULT_SQL_GATEWAY_PORT}/sql`

/**
 * True when a connection string names a database on this machine, which Neon's cloud proxy could never reach:
 * such URLs are sent to the gateway instead. Everything else goes to Neon unchanged.
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

/** True for the embedded database (PGlite in the gateway), whichever way its URL is written. */
export function isEmbeddedDatabaseUrl(databaseUrl: string): boolean {
  try {
    return new URL(databaseUrl).hostname === EMBEDDED_DATABASE_HOST
  } catch {
    return false
  }
}

/** The deadline of a database call unless DATABASE_TIMEOUT_MS says otherwise: past it the API answers 504. */
export const DEFAULT_DATABASE_TIMEOUT_MS = 10_000

/**
 * True for a host of Neon's cloud (`ep-….aws.neon.tech`, `….azure.neon.tech`, pooled or not): only those speak
 * SQL-over-HTTP themselves. Every other Postgres (this machine, RDS, Cloud SQL, Supabase, your own) is reached
 * through the gateway in `db/gateway/`, which speaks the same protocol in front of it.
 */
export function isNeonHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  return host === 'neon.tech' || host.endsWith('.neon.tech')
}

/** `isNeonHost` for a whole connection string; false for one that does not parse. */
export function isNeonDatabaseUrl(databaseUrl: string): boolean {
  try {
    return isNeonHost(new URL(databaseUrl).hostname)
  } catch {
    return false
  }
}
