/**
 * `npm run auth:unlock -- <email>`: clears the log-in and password-reset throttles of the account with this email,
 * against DATABASE_URL (the same as `DELETE /api/users/{id}/login-throttle`, for when no admin can log in).
 */
import { unlockAccount } from '../db/queries/account-tokens'
import { exitWithCause, openScriptDatabase } from './lib/script-database'

async function main(email: string | undefined): Promise<void> {
  if (!email?.includes('@')) throw new Error('Usage: npm run auth:unlock -- <email>')
  const database = await openScriptDatabase()
  try {
    const found = await unlockAccount(database.db, { email: email.trim() })
    if (!found) throw new Error(`No account has the email ${email} in ${database.described}.`)
    console.log(`✓ ${email} may log in again (its failed log-ins and reset requests are forgotten).`)
  } finally {
    await database.close()
  }
}

main(process.argv[2]).catch(exitWithCause)
