/** Reads and validates the local endpoint's settings from the environment and command-line flags, in one place. */
import { z } from 'zod'
import { DEFAULT_LOCAL_SQL_PORT } from '../local-url'
import { DEFAULT_POOL_TIMEOUT_MS, type LocalNeonServerOptions } from './server'

/** Where `npm run dev` and `npm run db:local` keep the embedded database (git-ignored). */
export const DEFAULT_DATA_DIR = '.data/pglite'

const settingsSchema = z.object({
  LOCAL_SQL_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_LOCAL_SQL_PORT),
  LOCAL_SQL_HOST: z.string().min(1).default('127.0.0.1'),
  LOCAL_SQL_DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  LOCAL_SQL_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  LOCAL_SQL_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(0),
  LOCAL_SQL_POOL_TIMEOUT_MS: z.coerce.number().int().min(0).default(DEFAULT_POOL_TIMEOUT_MS),
})

export interface LocalEndpointFlags {
  port?: string
  host?: string
  dataDir?: string
  memory?: boolean
}

export type LocalEndpointConfig = LocalNeonServerOptions & { embedded: { dataDir?: string } }

/** Flags win over the environment; a bad value stops the process with a message naming the setting. */
export function readLocalEndpointConfig(
  env: Record<string, string | undefined>,
  flags: LocalEndpointFlags = {},
): LocalEndpointConfig {
  // An empty variable (`LOCAL_SQL_PORT=` in a .env) means unset, as everywhere in Edgeline.
  const setVariables = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''))
  const parsed = settingsSchema.safeParse({
    ...setVariables,
    ...(flags.port !== undefined && { LOCAL_SQL_PORT: flags.port }),
    ...(flags.host !== undefined && { LOCAL_SQL_HOST: flags.host }),
    ...(flags.dataDir !== undefined && { LOCAL_SQL_DATA_DIR: flags.dataDir }),
  })
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    throw new Error(`Invalid local endpoint settings:\n  ${problems.join('\n  ')}`)
  }
  const settings = parsed.data
  return {
    port: settings.LOCAL_SQL_PORT,
    host: settings.LOCAL_SQL_HOST,
    embedded: { dataDir: flags.memory ? undefined : settings.LOCAL_SQL_DATA_DIR },
    poolSize: settings.LOCAL_SQL_POOL_SIZE,
    statementTimeoutMs: settings.LOCAL_SQL_STATEMENT_TIMEOUT_MS,
    poolTimeoutMs: settings.LOCAL_SQL_POOL_TIMEOUT_MS,
  }
}
