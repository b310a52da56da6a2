/** The SQL the Users API runs, as named functions: each one is exactly one database round trip, none reads a password hash. */
import { and, asc, eq, gt, ilike, or, sql } from 'drizzle-orm'
import type { Database } from '../client'
import { isUniqueViolation } from '../errors'
import { type NewUser, USERS_EMAIL_UNIQUE_INDEX, type User, users } from '../schema'

/** Every column except the password hash: the only selection the Users API ever uses. */
export const publicUserColumns = {
  id: users.id,
  name: users.name,
  email: users.email,
  role: users.role,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
}

export interface ListUsersOptions {
  /** Page size; one extra row is fetched to learn whether another page exists without a COUNT. */
  limit: number
  /** Keyset position: return users with an id greater than this one. */
  afterId?: number
  /** Case-insensitive substring of the name or the email. */
  search?: string
}

export interface UsersPage {
  users: User[]
  hasMore: boolean
}

export type CreateUserResult = { status: 'created'; user: User } | { status: 'email-taken' }
export type UpdateUserResult =
  | { status: 'updated'; user: User }
  | { status: 'not-found' }
  | { status: 'email-taken' }

/** Lists users in id order after a keyset position, optionally filtered by a search term. */
export async function listUsers(
  db: Database,
  { limit, afterId, search }: ListUsersOptions,
): Promise<UsersPage> {
  const pattern = search ? `%${escapeLikePattern(search)}%` : undefined
  const rows = await db
    .select(publicUserColumns)
    .from(users)
    .where(
      and(
        afterId === undefined ? undefined : gt(users.id, afterId),
        pattern === undefined ? undefined : or(ilike(users.name, pattern), ilike(users.email, pattern)),
      ),
    )
    .orderBy(asc(users.id))
    .limit(limit + 1)
  return { users: rows.slice(0, limit), hasMore: rows.length > limit }
}

export async function findUserById(db: Database, id: number): Promise<User | undefined> {
  const [user] = await db.select(publicUserColumns).from(users).where(eq(users.id, id))
  return user
}

/** Inserts a user; a duplicate email (whatever its case, even from a concurrent request) is an outcome, not an error. */
export async function createUser(db: Database, input: NewUser): Promise<CreateUserResult> {
  try {
    const [user] = await db.insert(users).values(input).returning(publicUserColumns)
    if (!user) throw new Error('INSERT … RETURNING returned no row')
    return { status: 'created', user }
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_UNIQUE_INDEX)) return { status: 'email-taken' }
    throw error
  }
}

/**
 * Applies a partial update in one `UPDATE … RETURNING`: no row means the user does not exist, a unique
 * violation means the new email belongs to someone else. (A missing user never reaches the index, so a request
 * that is both is a 404.)
 */
export async function updateUser(
  db: Database,
  id: number,
  changes: Partial<NewUser>,
): Promise<UpdateUserResult> {
  try {
    const [user] = await db
      .update(users)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(users.id, id))
      .returning(publicUserColumns)
    return user ? { status: 'updated', user } : { status: 'not-found' }
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_UNIQUE_INDEX)) return { status: 'email-taken' }
    throw error
  }
}

/** Deletes a user; false when there was none. */
export async function deleteUser(db: Database, id: number): Promise<boolean> {
  const deleted = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id })
  return deleted.length > 0
}

/** True when the table holds at least one user (the dev script seeds only an empty database). */
export async function hasAnyUser(db: Database): Promise<boolean> {
  const rows = await db.select({ id: users.id }).from(users).limit(1)
  return rows.length > 0
}

/** Inserts many users, skipping any whose email already exists; returns how many were added. */
export async function insertUsersSkippingExisting(db: Database, input: NewUser[]): Promise<number> {
  if (input.length === 0) return 0
  const inserted = await db.insert(users).values(input).onConflictDoNothing().returning({ id: users.id })
  return inserted.length
}

/** Makes `%`, `_` and `\` in user input match themselves in LIKE/ILIKE (backslash is Postgres' default escape). */
function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`)
}
