/** `/users`'s address read as `GET /api/users` reads its query string: the same schema, limits and messages. */
import type { ListUsersOptions } from '../../db/queries/users'
import type { KeysetPosition } from '../cursor'
import type { Problem } from '../problem'
import { ListUsersQuerySchema } from '../schemas/users-list'
import { queryProblem } from '../validation'

export type UsersListQuery =
  | { valid: true; options: ListUsersOptions; cursor: KeysetPosition | undefined }
  /** The API's 400 for the same query string. */
  | { valid: false; problem: Problem }

/** Only the `/users` page imports this: it holds the API's zod schema, which no other page needs to load. */
export function readUsersListQuery(query: { q?: string; cursor?: string }): UsersListQuery {
  const parsed = ListUsersQuerySchema.safeParse(query)
  if (!parsed.success) return { valid: false, problem: queryProblem(parsed.error.issues) }
  const { limit, cursor, q } = parsed.data
  return { valid: true, options: { limit, position: cursor, search: q }, cursor }
}
