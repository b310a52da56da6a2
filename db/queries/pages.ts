/**
 * What one page view reads, in one round trip: the API's own statements (db/queries/users.ts), sent together in one
 * batch when the page needs more than one (Neon's HTTP protocol runs a batch in one request), none when it needs none.
 */
import type { BatchItem } from 'drizzle-orm/batch'
import type { Database } from '../client'
import type { CallerPosition, ReadRouter } from '../replicas'
import type { User, VersionedUser } from '../schema'
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

/**
 * `readForPage` where it may run for a caller at `position` (db/replicas.ts): on a replica, behind its check in the
 * same batch, else on the primary. Still one round trip, unless a replica was tried and could not serve it.
 */
export async function readForPageFor(
  reads: ReadRouter,
  position: CallerPosition | undefined,
  wanted: PageReads,
): Promise<PageData> {
  const { accountId, usersPage: listOptions } = wanted
  if (!reads.hasReplicas || (accountId === undefined && listOptions === undefined)) {
    return readForPage(reads.primary, wanted)
  }
  const { value } = await reads.read(
    position,
    (db) => {
      const statements: BatchItem<'pg'>[] = []
      if (accountId !== undefined) statements.push(selectUserById(db, accountId))
      if (listOptions !== undefined) statements.push(selectUsersPage(db, listOptions))
      return statements
    },
    (results) => {
      const data: PageData = {}
      let next = 0
      if (accountId !== undefined) data.account = (results[next++] as VersionedUser[])[0]
      if (listOptions !== undefined) data.usersPage = toUsersPage(results[next] as User[], listOptions)
      return data
    },
  )
  return value
}
