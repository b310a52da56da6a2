/** The database as the pages reach it: built once per function instance from this process's config, as the API's. */
import { createDatabase } from '../../db/client'
import { config } from '../config'

export const pageDatabase = createDatabase({
  databaseUrl: config.databaseUrl,
  sqlGatewayEndpoint: config.sqlGatewayEndpoint,
  timeoutMs: config.databaseTimeoutMs,
})
