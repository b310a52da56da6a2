/** The wire shapes of users, built one way for the API's answers and the pages alike: one user, and a page of them. */
import type { UsersPage } from '../db/queries/users'
import type { User } from '../db/schema'
import { encodeCursor, type KeysetPosition } from './cursor'
import type { UserResponse } from './schemas/users'

/** A page of users as `GET /api/users` answers it (UsersPageSchema). */
export interface UsersPageResponse {
  data: UserResponse[]
  nextCursor: string | null
  prevCursor: string | null
}

/** The wire shape of a user: timestamps as ISO 8601 strings; field by field, so nothing else can ever slip out. */
export function toUserResponse(user: User): UserResponse {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  }
}

/** A page read from `cursor` (none: the first page), with the cursors of the pages beside it. */
export function toUsersPageResponse(page: UsersPage, cursor: KeysetPosition | undefined): UsersPageResponse {
  const [first, last] = [page.users[0], page.users.at(-1)]
  const backward = cursor?.direction === 'before'
  // Read forward, there is more before this page whenever it did not start at the beginning; read backward,
  // there is more after it (the page it was reached from).
  const nextCursor =
    last && (backward || page.hasMore) ? encodeCursor({ direction: 'after', id: last.id }) : null
  const prevCursor =
    first && (backward ? page.hasMore : cursor !== undefined)
      ? encodeCursor({ direction: 'before', id: first.id })
      : null
  return { data: page.users.map(toUserResponse), nextCursor, prevCursor }
}
