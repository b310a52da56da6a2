/** Reads and validates the gateway's settings from the environment and command-line flags, in one place. */
import { z } from 'zod'
import { DEFAULT_SQL_GATEWAY_PORT } from '../database-url'
import { DEFAULT_POOL_TIMEOUT_MS, type SqlGatewayOptions } from './server'

/** Where `npm run dev` and `npm run db:gateway` keep the embedded database (git-ignored). */
export const DEFAULT_DATA_DIR = '.data/pglite'

const settingsSchema = z.object({
  SQL_GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_SQL_GATEWAY_PORT),
  SQL_GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  LOCAL_SQL_DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  SQL_GATEWAY_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  SQL_GATEWAY_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(0),
  SQL_GATEWAY_POOL_TIMEOUT_MS: z.coerce.number().int().min(0).default(DEFAULT_POOL_TIMEOUT_MS),
  LOCAL_SQL_LATENCY_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  NODE_ENV: z.string().optional(),
})

/** Settings renamed with the move from `db/local/` (old name → new name): an old one left set stops the process. */
const RENAMED_SETTINGS: Record<string, string> = {
  LOCAL_SQL_PORT: 'SQL_GATEWAY_PORT',
  LOCAL_SQL_HOST: 'SQL_GATEWAY_HOST',
  LOCAL_SQL_POOL_SIZE: 'SQL_GATEWAY_POOL_SIZE',
  LOCAL_SQL_STATEMENT_TIMEOUT_MS: 'SQL_GATEWAY_STATEMENT_TIMEOUT_MS',
  LOCAL_SQL_POOL_TIMEOUT_MS: 'SQL_GATEWAY_POOL_TIMEOUT_MS',
}

export interface SqlGatewayFlags {
  port?: string
  host?: string
  dataDir?: string
  memory?: boolean
}

export type SqlGatewayConfig = SqlGatewayOptions & { embedded: { dataDir?: string } }

/** Flags win over the environment; a bad value stops the process with a message naming the setting. */
export function readSqlGatewayConfig(
  env: Record<string, string | undefined>,
  flags: SqlGatewayFlags = {},
): SqlGatewayConfig {
  // An empty variable (`SQL_GATEWAY_PORT=` in a .env) means unset, as everywhere in Edgeline.
  const setVariables = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''))
  const parsed = settingsSchema.safeParse({
    ...setVariables,
    ...(flags.port !== undefined && { SQL_GATEWAY_PORT: flags.port }),
    ...(flags.host !== undefined && { SQL_GATEWAY_HOST: flags.host }),
    ...(flags.dataDir !== undefined && { LOCAL_SQL_DATA_DIR: flags.dataDir }),
  })
  const renamed = Object.entries(RENAMED_SETTINGS)
    .filter(([oldName]) => setVariables[oldName] !== undefined)
    .map(([oldName, newName]) => `${oldName}: was renamed ${newName}; set that instead`)
  // Simulated distance is for feeling round trips on one machine; a production process never slows itself down.
  const latencyInProduction =
    parsed.success && parsed.data.NODE_ENV === 'production' && parsed.data.LOCAL_SQL_LATENCY_MS > 0
      ? ['LOCAL_SQL_LATENCY_MS: simulates distance for development and benchmarks; unset it in production']
      : []
  if (!parsed.success || renamed.length > 0 || latencyInProduction.length > 0) {
    const problems = [
      ...renamed,
      ...latencyInProduction,
      ...(parsed.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    ]
    throw new Error(`Invalid gateway settings:\n  ${problems.join('\n  ')}`)
  }
  const settings = parsed.data
  return {
    port: settings.SQL_GATEWAY_PORT,
    host: settings.SQL_GATEWAY_HOST,
    embedded: { dataDir: flags.memory ? undefined : settings.LOCAL_SQL_DATA_DIR },
    poolSize: settings.SQL_GATEWAY_POOL_SIZE,
    statementTimeoutMs: settings.SQL_GATEWAY_STATEMENT_TIMEOUT_MS,
    poolTimeoutMs: settings.SQL_GATEWAY_POOL_TIMEOUT_MS,
    simulatedLatencyMs: settings.LOCAL_SQL_LATENCY_MS,
  }
}
