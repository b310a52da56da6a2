/**
 * What a page shows of the data, read in-process: the API's own statements (db/queries/pages.ts) and rules, in one
 * round trip at most, for the identity middleware.ts verified. Never over HTTP, never through the Hono app.
 */
import type { Database } from '../../db/client'
import { type PageReads, readForPageFor } from '../../db/queries/pages'
import { primaryOnly, type ReadRouter } from '../../db/replicas'
import { builtInUserId } from '../auth/built-in-user'
import { readIdentityHeaders } from '../auth/credentials'
import type { Identity } from '../auth/tokens'
import { positionOfRequest } from '../consistency'
import { type Problem, problemFromError } from '../problem'
import type { UserResponse } from '../schemas/users'
import { toUserResponse, toUsersPageResponse, type UsersPageResponse } from '../user-response'
import type { UsersListQuery } from './users-list-query'

export interface PageViewRequest {
  /** `/users`: a page of the list, its query read as `GET /api/users` reads it (./users-list-query.ts). */
  users?: UsersListQuery
}

export interface PageView {
  /** Who middleware.ts verified; undefined for a visitor without a session (then nothing is read). */
  identity: Identity | undefined
  /**
   * The signed-in account, as `GET /api/auth/me` answers it: null when the session names none of ours (deleted
   * since, or a subject of the identity provider); undefined when signed out or when it could not be read.
   */
  account: UserResponse | null | undefined
  /** The page of users asked for, as `GET /api/users` answers it; undefined when refused or unread. */
  usersPage?: UsersPageResponse
  /** Why something asked for is missing: the API's problem for the same request (a bad cursor, the database down). */
  problem?: Problem
}

/**
 * Reads what the page view needs; a failure of the database becomes the API's problem for it, not an error page.
 * With `reads` (replicas), on a replica that has replayed the browser's own writes (its consistency cookie).
 */
export async function readPageView(
  headers: Headers,
  db: Database,
  request: PageViewRequest = {},
  reads: ReadRouter = primaryOnly(db),
): Promise<PageView> {
  const identity = readIdentityHeaders(headers)
  // Every read needs a session, as every API route behind these reads does (middleware.ts has already sent a
  // signed-out visitor of a page that needs one to log in).
  if (!identity) return { identity, account: undefined }
  const accountId = builtInUserId(identity)
  const wanted: PageReads = accountId === undefined ? {} : { accountId }
  const list = request.users
  if (list?.valid) wanted.usersPage = list.options
  const problem = list?.valid === false ? list.problem : undefined
  try {
    const data = await readForPageFor(reads, positionOfRequest(headers), wanted)
    return {
      identity,
      account: data.account ? toUserResponse(data.account) : null,
      ...(data.usersPage
        ? { usersPage: toUsersPageResponse(data.usersPage, list?.valid ? list.cursor : undefined) }
        : {}),
      ...(problem ? { problem } : {}),
    }
  } catch (error) {
    const failure = problemFromError(error)
    // Anything but the database failing is a bug: Next's error page, and Next logs it.
    if (!failure) throw error
    console.error(
      JSON.stringify({ level: 'error', msg: 'page data', problem: failure.slug, cause: String(error) }),
    )
    return { identity, account: undefined, problem: failure }
  }
}
