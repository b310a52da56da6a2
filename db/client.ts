/** The Neon HTTP client and drizzle instance: one per configuration, pointed at the local endpoint only for local URLs. */
import { neon, neonConfig } from '@neondatabase/serverless'
import { drizzle, type NeonHttpDatabase } from 'drizzle-orm/neon-http'
import { DEFAULT_LOCAL_SQL_ENDPOINT, isLocalDatabaseUrl } from './local-url'
import * as schema from './schema'

export type Database = NeonHttpDatabase<typeof schema>

export interface DatabaseSettings {
  /** Postgres connection string; a local one (127.0.0.1, localhost, *.localhost) goes to the local endpoint. */
  databaseUrl: string
  /** The local Neon SQL-over-HTTP endpoint; ignored for non-local URLs. */
  localSqlEndpoint?: string
  /** Merged into every `fetch` the driver makes (e.g. a `signal`); mainly for tests and callers with deadlines. */
  fetchOptions?: RequestInit
}

/**
 * Builds the drizzle database over Neon's HTTP driver.
 *
 * `neonConfig.fetchEndpoint` is process-global in the driver (there is no per-client option), so every local
 * client in one JS realm shares one endpoint: the last one configured. Non-local URLs leave Neon's default
 * (`https://<host>/sql`) untouched. Two more driver facts callers should know: drizzle's neon-http replaces the
 * global pg-types parsers for timestamps/dates/intervals with identity parsers (raw `neon()` calls in the same
 * realm then get strings), and the driver always asks the server for array-mode rows.
 */
export function createDatabase({ databaseUrl, localSqlEndpoint, fetchOptions }: DatabaseSettings): Database {
  if (isLocalDatabaseUrl(databaseUrl)) {
    neonConfig.fetchEndpoint = localSqlEndpoint ?? DEFAULT_LOCAL_SQL_ENDPOINT
  }
  return drizzle({ client: neon(databaseUrl, fetchOptions ? { fetchOptions } : {}), schema })
}
