/** Applies the committed migrations in db/migrations to a database (Node only): a function for tools, a CLI for `npm run db:migrate`. */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { migrate } from 'drizzle-orm/neon-http/migrator'
import { createDatabase } from './client'
import { EMBEDDED_DATABASE_URL } from './local-url'

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
 * `sqlEndpoint` is the local endpoint, used only when the URL is local.
 */
export async function migrateDatabase(databaseUrl: string, sqlEndpoint?: string): Promise<void> {
  const db = createDatabase({ databaseUrl, localSqlEndpoint: sqlEndpoint, timeoutMs: MIGRATION_TIMEOUT_MS })
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
}

function isMainModule(): boolean {
  const entry = process.argv[1]
  return entry !== undefined && import.meta.url === pathToFileURL(entry).href
}

if (isMainModule()) {
  if (!process.env.DATABASE_URL && process.env.VERCEL === '1') {
    console.error(
      'DATABASE_URL is required on Vercel: set it to your Neon connection string (Project → Settings → Environment Variables).',
    )
    process.exit(1)
  }
  const databaseUrl = process.env.DATABASE_URL || EMBEDDED_DATABASE_URL
  const redacted = databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
  migrateDatabase(databaseUrl, process.env.LOCAL_SQL_ENDPOINT || undefined).then(
    () => console.log(`Migrations applied to ${redacted}`),
    (error: unknown) => {
      console.error(`Migrating ${redacted} failed:`, error)
      process.exitCode = 1
    },
  )
}
