/** Demo users for local development (Node only): a function for the dev script, a CLI for `npm run db:seed`. */
import { pathToFileURL } from 'node:url'
import { createDatabase, type Database } from './client'
import { EMBEDDED_DATABASE_URL } from './local-url'
import { hasAnyUser, insertUsersSkippingExisting } from './queries/users'
import type { NewUser } from './schema'

export const DEMO_USERS: readonly NewUser[] = [
  { name: 'John Doe', email: 'john@example.com' },
  { name: 'Jane Smith', email: 'jane@example.com' },
  { name: 'Ada Lovelace', email: 'ada@example.com' },
  { name: 'Alan Turing', email: 'alan@example.com' },
  { name: 'Grace Hopper', email: 'grace@example.com' },
]

/** Adds the demo users that are not there yet; safe to run any number of times. Returns how many were added. */
export function seedDemoUsers(db: Database): Promise<number> {
  return insertUsersSkippingExisting(db, [...DEMO_USERS])
}

/** Seeds only a database with no users at all, so a developer's own data is never mixed with demo rows. */
export async function seedDemoUsersIfEmpty(db: Database): Promise<number> {
  return (await hasAnyUser(db)) ? 0 : seedDemoUsers(db)
}

function isMainModule(): boolean {
  const entry = process.argv[1]
  return entry !== undefined && import.meta.url === pathToFileURL(entry).href
}

if (isMainModule()) {
  const db = createDatabase({
    databaseUrl: process.env.DATABASE_URL || EMBEDDED_DATABASE_URL,
    localSqlEndpoint: process.env.LOCAL_SQL_ENDPOINT || undefined,
  })
  seedDemoUsers(db).then(
    (added) =>
      console.log(`Seed: ${added} demo user(s) added (${DEMO_USERS.length - added} already present)`),
    (error: unknown) => {
      console.error('Seeding failed:', error)
      process.exitCode = 1
    },
  )
}
