/** The database as the pages reach it: built once per function instance from this process's config, as the API's. */
import { createDatabase } from '../../db/client'
import { readRouterFor } from '../../db/replicas'
import { config } from '../config'

export const pageDatabase = createDatabase({
  databaseUrl: config.databaseUrl,
  sqlGatewayEndpoint: config.sqlGatewayEndpoint,
  timeoutMs: config.databaseTimeoutMs,
})

/** Where the pages' reads go: the replicas of DATABASE_REPLICA_URLS when set (decision 0037), else the primary. */
export const pageReads = readRouterFor(pageDatabase, config)
