/** What `npm run dev` does to the database before Next starts: migrate, clear the log-in throttle, seed, admin. */
import { createDatabase } from '../../db/client'
import { isLocalDatabaseUrl } from '../../db/database-url'
import { migrateDatabase } from '../../db/migrate'
import { clearLoginThrottle } from '../../db/queries/accounts'
import { seedDemoUsersIfEmpty, seedLocalAdmin } from '../../db/seed'

export interface PrepareOptions {
  /** Apply migrations to a non-local DATABASE_URL too (`npm start`, in server/main.ts, never does it behind your back). */
  migrateRemote: boolean
  /**
   * Forget every failed log-in (local databases only): 20 typos from this machine would otherwise lock every
   * account, the printed admin's included, for 15 minutes, with no way out but waiting.
   */
  clearLoginThrottle: boolean
  /** Add the demo users when the database has no users at all (local databases only). */
  seedWhenEmpty: boolean
  /** Create (or reset) the local admin account and return its credentials (local databases only). */
  seedAdmin: boolean
}

/** Prepares the database, saying what it did through `log`; answers the local admin's credentials when it made them. */
export async function prepareDatabase(
  databaseUrl: string,
  sqlEndpoint: string | undefined,
  options: PrepareOptions,
  log: (line: string) => void = console.log,
): Promise<{ email: string; password: string } | undefined> {
  const local = isLocalDatabaseUrl(databaseUrl)
  if (local || options.migrateRemote) {
    await migrateDatabase(databaseUrl, sqlEndpoint)
    log('✓ migrations applied')
  }
  if (!local) return undefined
  const db = createDatabase({ databaseUrl, sqlGatewayEndpoint: sqlEndpoint })
  if (options.clearLoginThrottle) {
    const cleared = await clearLoginThrottle(db)
    if (cleared > 0) {
      log(
        `✓ log-in throttle cleared: failed log-ins of ${cleared} email(s) or client(s) forgotten (local only)`,
      )
    }
  }
  if (options.seedWhenEmpty) {
    const added = await seedDemoUsersIfEmpty(db)
    log(added > 0 ? `✓ seeded ${added} demo users` : '✓ database already has users; not seeding')
  }
  return options.seedAdmin ? await seedLocalAdmin(db, databaseUrl) : undefined
}
