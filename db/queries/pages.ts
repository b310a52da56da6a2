/**
 * What one page view reads, in one round trip: the API's own statements (db/queries/users.ts), sent together in one
 * batch when the page needs more than one (Neon's HTTP protocol runs a batch in one request), none when it needs none.
 */
import type { Database } from '../client'
import type { VersionedUser } from '../schema'
import { type ListUsersOptions, selectUserById, selectUsersPage, toUsersPage, type UsersPage } from './users'

export interface PageReads {
  /** The signed-in account's id, as `GET /api/auth/me` reads it; none for a visitor without one of ours. */
  accountId?: number
  /** A page of the list, as `GET /api/users` reads it. */
  usersPage?: ListUsersOptions
}

export interface PageData {
  /** Read when `accountId` was asked for: the account, or undefined when there is none with that id (deleted). */
  account?: VersionedUser | undefined
  usersPage?: UsersPage
}

/** Runs what `reads` asks for: no round trip when it asks for nothing, else exactly one. */
export async function readForPage(db: Database, reads: PageReads): Promise<PageData> {
  const { accountId, usersPage: listOptions } = reads
  const account = accountId === undefined ? undefined : selectUserById(db, accountId)
  const list = listOptions === undefined ? undefined : selectUsersPage(db, listOptions)
  if (account && list && listOptions) {
    const [accountRows, listRows] = await db.batch([account, list])
    return { account: accountRows[0], usersPage: toUsersPage(listRows, listOptions) }
  }
  if (account) return { account: (await account)[0] }
  if (list && listOptions) return { usersPage: toUsersPage(await list, listOptions) }
  return {}
}
