/** Applies the committed migrations in db/migrations to a database (Node only); `npm run db:migrate` runs it via server/main.ts. */
import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/neon-http/migrator'
import { createDatabase } from './client'
import { underlyingCause } from './errors'

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
  try {
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
  } catch (error) {
    throw new MigrationError(error)
  }
}

/**
 * A migration that failed, said by its underlying cause (`ECONNREFUSED 10.0.0.5:5432`, `database "appp" does not
 * exist`, `password authentication failed for user "app"`) rather than by drizzle's `Failed query: CREATE SCHEMA
 * IF NOT EXISTS "drizzle"`, which reads the same whatever went wrong. The statement follows on its own line: for
 * an error of a migration's own SQL it says which one. The original error stays the `cause`.
 */
export class MigrationError extends Error {
  constructor(error: unknown) {
    const statement = failedStatement(error)
    super(statement ? `${underlyingCause(error)}\n  while running: ${statement}` : underlyingCause(error), {
      cause: error,
    })
    this.name = 'MigrationError'
  }
}

/** drizzle's DrizzleQueryError keeps the statement as `query`: its first line, enough to find it in db/migrations. */
function failedStatement(error: unknown): string | undefined {
  const query = (error as { query?: unknown } | undefined)?.query
  if (typeof query !== 'string') return undefined
  const firstLine = query.trim().split('\n')[0] ?? ''
  return firstLine.length > 160 ? `${firstLine.slice(0, 160)}…` : firstLine
}
