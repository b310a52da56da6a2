/**
 * The database for an operator's command (`npm run mail:outbox`, `npm run auth:unlock`), as the servers find it:
 * DATABASE_URL from the environment or .env (the embedded one by default), through Neon's endpoint, the running
 * `npm run dev`'s gateway for the embedded database, or a gateway in this process for any other Postgres.
 */
import nextEnv from '@next/env'
import { createDatabase, type Database } from '../../db/client'
import { DEFAULT_SQL_GATEWAY_ENDPOINT, EMBEDDED_DATABASE_URL, isNeonDatabaseUrl } from '../../db/database-url'
import { underlyingCause } from '../../db/errors'
import { readSqlGatewayConfig } from '../../db/gateway/config'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'

export interface ScriptDatabase {
  db: Database
  /** Where it is, for messages (the password hidden). */
  described: string
  close(): Promise<void>
}

export async function openScriptDatabase(): Promise<ScriptDatabase> {
  nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production')
  const databaseUrl = process.env.DATABASE_URL || EMBEDDED_DATABASE_URL
  const embedded = databaseUrl === EMBEDDED_DATABASE_URL
  // `npm run dev` serves the embedded database on SQL_GATEWAY_PORT (4444 unless set): the same setting finds it here.
  const gatewayConfig = readSqlGatewayConfig(process.env)
  const endpoint =
    process.env.SQL_GATEWAY_ENDPOINT || (embedded ? `http://127.0.0.1:${gatewayConfig.port}/sql` : undefined)
  // PGlite's files belong to the process serving them (`npm run dev`): ask its gateway rather than open them twice.
  let gateway: SqlGateway | undefined
  if (!isNeonDatabaseUrl(databaseUrl) && !endpoint && !embedded) {
    gateway = await startSqlGateway({ ...gatewayConfig, port: 0, host: '127.0.0.1' })
  }
  const db = createDatabase({
    databaseUrl,
    sqlGatewayEndpoint: gateway?.url ?? endpoint ?? DEFAULT_SQL_GATEWAY_ENDPOINT,
    fetchFunction: gateway?.fetch,
  })
  return {
    db,
    described: embedded
      ? `the embedded database (through ${endpoint ?? DEFAULT_SQL_GATEWAY_ENDPOINT}: is \`npm run dev\` running?)`
      : databaseUrl.replace(/:[^:@/]*@/, ':***@'),
    close: async () => {
      await gateway?.close()
    },
  }
}

/**
 * How an operator's command ends on an error: the underlying cause (never drizzle's bare `Failed query: …`), and,
 * for the embedded database, that it is reached through the gateway of a running `npm run dev`.
 */
export function exitWithCause(error: unknown): never {
  console.error(underlyingCause(error))
  if (!process.env.DATABASE_URL) {
    console.error('The embedded database is served by `npm run dev`: start it first, or set DATABASE_URL.')
  }
  process.exit(1)
}
