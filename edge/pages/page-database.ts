/** The database as the pages reach it: built once per function instance from this process's config, as the API's. */
import { createDatabase } from '../../db/client'
import { readRouterFor } from '../../db/replicas'
import { config } from '../config'
import { readTelemetryConfig } from '../telemetry/env'
import { createTracer } from '../telemetry/tracer'

/** Page views traced when OTEL_* say so (edge/telemetry/page-span.ts); undefined, and nothing installed, otherwise. */
export const pageTracer = createTracer(readTelemetryConfig())

export const pageDatabase = createDatabase({
  databaseUrl: config.databaseUrl,
  sqlGatewayEndpoint: config.sqlGatewayEndpoint,
  timeoutMs: config.databaseTimeoutMs,
  ...(pageTracer ? { roundTrips: pageTracer.roundTrips } : {}),
})

/** Where the pages' reads go: the replicas of DATABASE_REPLICA_URLS when set (decision 0037), else the primary. */
export const pageReads = readRouterFor(pageDatabase, config)
