/** Demo users and the local admin for development (Node only): functions for the dev script, a CLI for `npm run db:seed`. */
import { pathToFileURL } from 'node:url'
import { toBase64Url } from '../edge/auth/base64url'
import { hashPassword } from '../edge/auth/password'
import { createDatabase, type Database } from './client'
import { EMBEDDED_DATABASE_URL, isLocalDatabaseUrl } from './database-url'
import { upsertAccount } from './queries/accounts'
import { hasAnyUser, insertUsersSkippingExisting } from './queries/users'
import type { NewUser } from './schema'

export const LOCAL_ADMIN_EMAIL = 'admin@example.com'

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

/**
 * Creates the local admin, or resets its password and role, with a new random password that is returned for the
 * dev script to print: nothing guessable ever exists, and the credentials are always the ones on screen.
 * Refuses any database that is not on this machine, whoever calls it.
 */
export async function seedLocalAdmin(
  db: Database,
  databaseUrl: string,
): Promise<{ email: string; password: string }> {
  if (!isLocalDatabaseUrl(databaseUrl))
    throw new Error('The local admin is only ever seeded into a local database')
  const password = toBase64Url(crypto.getRandomValues(new Uint8Array(12)))
  await upsertAccount(db, {
    name: 'Local Admin',
    email: LOCAL_ADMIN_EMAIL,
    passwordHash: await hashPassword(password),
    role: 'admin',
  })
  return { email: LOCAL_ADMIN_EMAIL, password }
}

function isMainModule(): boolean {
  const entry = process.argv[1]
  return entry !== undefined && import.meta.url === pathToFileURL(entry).href
}

if (isMainModule()) {
  const db = createDatabase({
    databaseUrl: process.env.DATABASE_URL || EMBEDDED_DATABASE_URL,
    sqlGatewayEndpoint: process.env.SQL_GATEWAY_ENDPOINT || undefined,
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
