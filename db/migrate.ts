/** Applies the committed migrations in db/migrations to a database (Node only); `npm run db:migrate` runs it via server/main.ts. */
import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/neon-http/migrator'
import { createDatabase } from './client'

const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url))

/**
 * A migration may rewrite a large table, and the first statement may start the embedded database (seconds on a
 * busy machine): far longer than a request's deadline, still not forever.
 */
const MIGRATION_TIMEOUT_MS = 10 * 60 * 1000

/**
 * Brings `databaseUrl` up to date. Idempotent: drizzle records applied migrations in `drizzle.__drizzle_migrations`
 * and skips them. Over Neon's HTTP driver each statement is its own request (no transaction), which is why every
 * migration must keep its `--> statement-breakpoint` markers and stay safe to re-run after a partial failure.
 * `sqlEndpoint` is the SQL-over-HTTP gateway, used for every URL that is not Neon's.
 */
export async function migrateDatabase(databaseUrl: string, sqlEndpoint?: string): Promise<void> {
  const db = createDatabase({ databaseUrl, sqlGatewayEndpoint: sqlEndpoint, timeoutMs: MIGRATION_TIMEOUT_MS })
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
}
