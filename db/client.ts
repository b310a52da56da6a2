/** The Neon HTTP client and drizzle instance: Neon's hosts straight to Neon, every other Postgres through our gateway. */
import { neon, neonConfig } from '@neondatabase/serverless'
import { drizzle, type NeonHttpDatabase } from 'drizzle-orm/neon-http'
import { DEFAULT_DATABASE_TIMEOUT_MS, DEFAULT_SQL_GATEWAY_ENDPOINT, isNeonHost } from './database-url'
import { withDeadline, withReadRetry } from './deadline'
import { type ObservedRoundTrips, observeRoundTrips } from './round-trips'
import * as schema from './schema'

export type Database = NeonHttpDatabase<typeof schema>

/** What the driver calls instead of the global `fetch` (the production server hands requests to its gateway in-process). */
export type SqlFetch = (url: string, init: RequestInit) => Promise<Response>

export interface DatabaseSettings {
  /** Postgres connection string: a Neon host goes to Neon; any other to the SQL-over-HTTP gateway. */
  databaseUrl: string
  /** The SQL-over-HTTP gateway (`db/gateway/`) for every non-Neon host. */
  sqlGatewayEndpoint?: string
  /** Deadline of each database call, aborting the driver's fetch (the gateway then cancels the statement). */
  timeoutMs?: number
  /** Replaces the global `fetch` for every request of the driver in this JS realm (it is a process-wide setting). */
  fetchFunction?: SqlFetch
  /** Merged into every `fetch` the driver makes (e.g. a `signal`); mainly for tests and callers with deadlines. */
  fetchOptions?: RequestInit
  /** Told of every round trip (tracing: db/round-trips.ts); each attempt of a retried read is one. */
  roundTrips?: ObservedRoundTrips
}

// Neon's own endpoint rule (`https://api.<host>/sql`), kept for Neon hosts when we route the others.
const neonEndpoint = neonConfig.fetchEndpoint as (
  host: string,
  port: number | string,
  options?: object,
) => string

/**
 * Builds the drizzle database over Neon's HTTP driver.
 *
 * `neonConfig.fetchEndpoint` and `neonConfig.fetchFunction` are process-global in the driver (there is no
 * per-client option), so every client in one JS realm shares one gateway and one fetch: the last configured.
 * The deadline is per client: the driver spreads `fetchOptions` into each request, and the `signal` getter there
 * makes a fresh timer per request. Two more driver facts callers should know: drizzle's neon-http replaces the
 * global pg-types parsers for timestamps/dates/intervals with identity parsers (raw `neon()` calls in the same
 * realm then get strings), and the driver always asks the server for array-mode rows.
 */
export function createDatabase({
  databaseUrl,
  sqlGatewayEndpoint,
  timeoutMs = DEFAULT_DATABASE_TIMEOUT_MS,
  fetchFunction,
  fetchOptions,
  roundTrips,
}: DatabaseSettings): Database {
  const gateway = sqlGatewayEndpoint ?? DEFAULT_SQL_GATEWAY_ENDPOINT
  neonConfig.fetchEndpoint = (host, port, options) =>
    isNeonHost(host) ? neonEndpoint(host, port, options) : gateway
  // A fetch given here wins; otherwise one installed by someone else (a test counting requests) is left alone.
  if (fetchFunction || !neonConfig.fetchFunction || roundTrips) {
    neonConfig.fetchFunction = withReadRetry(
      roundTrips ? observeRoundTrips(fetchFunction, roundTrips) : fetchFunction,
    )
  }
  const client = neon(databaseUrl, { fetchOptions: withDeadline(timeoutMs, fetchOptions) })
  return drizzle({ client, schema })
}
