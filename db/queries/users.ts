/** The SQL the Users API runs, as named functions: each one is exactly one database round trip, none reads a password hash. */
import { and, asc, desc, eq, gt, ilike, inArray, lt, or, type Placeholder, sql } from 'drizzle-orm'
import type { Database } from '../client'
import { isUniqueViolation } from '../errors'
import { type CallerPosition, type ConsistencyPosition, type ReadRouter, writePosition } from '../replicas'
import { type NewUser, USERS_EMAIL_UNIQUE_INDEX, type User, users, type VersionedUser } from '../schema'
import { inviteStepsFor } from './account-tokens'
import {
  claimIdempotencyKey,
  heldClaim,
  type IdempotentRequest,
  type OutcomeColumns,
  readOutcome,
  selectOutcome,
  storeAnswer,
} from './idempotency'

/** Every column except the password hash: the only selection the Users API ever uses. */
export const publicUserColumns = {
  id: users.id,
  name: users.name,
  email: users.email,
  role: users.role,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
}

/** The public columns and the row's version (its ETag): what a read or write of one user answers with. */
export const versionedUserColumns = { ...publicUserColumns, version: users.version }

export interface ListUsersOptions {
  /** Page size; one extra row is fetched to learn whether another page exists without a COUNT. */
  limit: number
  /** Keyset position: the users with an id greater (`after`) or smaller (`before`) than this one; none: the first. */
  position?: { direction: 'after' | 'before'; id: number }
  /** Case-insensitive substring of the name or the email. */
  search?: string
}

export interface UsersPage {
  /** In id order, whichever way the page was read. */
  users: User[]
  /** More users lie beyond this page in the direction it was read (after its last, or before its first). */
  hasMore: boolean
}

/**
 * A write's outcome carries `position` (db/replicas.ts) when it wrote: the transaction its caller's later reads
 * must see, read in the write's own statement.
 */
export type CreateUserResult =
  | { status: 'created'; user: VersionedUser; position: ConsistencyPosition }
  | { status: 'email-taken' }
export type UpdateUserResult =
  | { status: 'updated'; user: VersionedUser; position: ConsistencyPosition }
  | { status: 'not-found' }
  | { status: 'email-taken' }
  /** The row exists but its version is none of the expected ones (someone else changed it first). */
  | { status: 'precondition-failed' }
export type DeleteUserResult =
  | { status: 'deleted'; position: ConsistencyPosition }
  | { status: 'not-found' }
  | { status: 'precondition-failed' }

/**
 * A write's precondition (`If-Match`): the versions the client last saw. The write happens only if the row's current
 * version is one of them, checked in the write's own statement. Undefined: write whatever the version.
 */
export type ExpectedVersions = readonly number[] | undefined

/** Lists users in id order after a keyset position, optionally filtered by a search term. */
export async function listUsers(db: Database, options: ListUsersOptions): Promise<UsersPage> {
  return toUsersPage(await selectUsersPage(db, options), options)
}

/**
 * The statement behind `listUsers`, not yet run: a page view sends it in one batch with the other reads it needs.
 * Its rows become a page with `toUsersPage`.
 */
export function selectUsersPage(db: Database, { limit, position, search }: ListUsersOptions) {
  const pattern = search ? `%${escapeLikePattern(search)}%` : undefined
  // A previous page is the keyset in reverse: the `limit` ids just below the position, read downwards on the
  // primary key's index, then put back in id order.
  const backward = position?.direction === 'before'
  return db
    .select(publicUserColumns)
    .from(users)
    .where(
      and(
        position === undefined ? undefined : backward ? lt(users.id, position.id) : gt(users.id, position.id),
        pattern === undefined ? undefined : or(ilike(users.name, pattern), ilike(users.email, pattern)),
      ),
    )
    .orderBy(backward ? desc(users.id) : asc(users.id))
    .limit(limit + 1)
}

/** The rows of `selectUsersPage` as a page: at most `limit` of them, in id order, and whether more lie beyond. */
export function toUsersPage(rows: User[], { limit, position }: ListUsersOptions): UsersPage {
  const page = rows.slice(0, limit)
  if (position?.direction === 'before') page.reverse()
  return { users: page, hasMore: rows.length > limit }
}

/**
 * The most frequent query, built once per database and kept: drizzle otherwise rebuilds the same SQL text from
 * the query builder on every read.
 */
const findUserByIdQueries = new WeakMap<Database, ReturnType<typeof prepareFindUserById>>()

function prepareFindUserById(db: Database) {
  return selectUserById(db, sql.placeholder('id')).prepare('find_user_by_id')
}

/** The statement behind `findUserById`, not yet run (for a batch); at most one row. */
export function selectUserById(db: Database, id: number | Placeholder) {
  return db.select(versionedUserColumns).from(users).where(eq(users.id, id))
}

/**
 * `listUsers` where it may run for a caller at `position`: a replica that has replayed it, else the primary
 * (db/replicas.ts); one round trip unless a replica was tried and could not serve it.
 */
export async function listUsersFor(
  reads: ReadRouter,
  position: CallerPosition | undefined,
  options: ListUsersOptions,
) {
  if (!reads.hasReplicas) return { value: await listUsers(reads.primary, options), from: 'primary' as const }
  return reads.read(
    position,
    (db) => [selectUsersPage(db, options)],
    ([rows]) => toUsersPage(rows as User[], options),
  )
}

/** `findUserById` where it may run for a caller at `position` (as `listUsersFor`). */
export async function findUserFor(reads: ReadRouter, position: CallerPosition | undefined, id: number) {
  if (!reads.hasReplicas) return { value: await findUserById(reads.primary, id), from: 'primary' as const }
  return reads.read(
    position,
    (db) => [selectUserById(db, id)],
    ([rows]) => (rows as VersionedUser[])[0],
  )
}

export async function findUserById(db: Database, id: number): Promise<VersionedUser | undefined> {
  let query = findUserByIdQueries.get(db)
  if (!query) {
    query = prepareFindUserById(db)
    findUserByIdQueries.set(db, query)
  }
  const [user] = await query.execute({ id })
  return user
}

/** The invitation written with a user an admin creates: its token and its email (see `inviteStepsFor`). */
export type Invitation = Parameters<typeof inviteStepsFor>[1]

/**
 * Inserts a user, and with `invitation` its invitation token and email in the same statement; a duplicate email
 * (whatever its case, even from a concurrent request) is an outcome, not an error, and writes nothing.
 */
export async function createUser(
  db: Database,
  input: NewUser,
  invitation?: Invitation,
): Promise<CreateUserResult> {
  try {
    if (!invitation) {
      const [row] = await db
        .insert(users)
        .values(input)
        .returning({ ...versionedUserColumns, position: writePosition })
      if (!row) throw new Error('INSERT … RETURNING returned no row')
      const { position, ...user } = row
      return { status: 'created', user, position }
    }
    const result = await db.execute<{ row: Record<string, unknown>; position: string }>(sql`
      with created as (
        insert into ${users} ${insertColumns(input)}
        returning id, name, email, role, created_at, updated_at, version
      ), ${invitedSteps(invitation)}
      select to_jsonb(created) as row, ${writePosition} as position from created`)
    const row = result.rows[0]
    if (!row) throw new Error('INSERT … RETURNING returned no row')
    return { status: 'created', user: versionedUserFromJson(row.row), position: String(row.position) }
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_UNIQUE_INDEX)) return { status: 'email-taken' }
    throw error
  }
}

export type IdempotentCreateUserResult =
  | CreateUserResult
  /** The key's first request created this user (its answer was a 201, the only kind stored); here it is again. */
  | { status: 'replayed'; user: VersionedUser; position: ConsistencyPosition }
  | { status: 'key-reused' }
  | { status: 'in-flight' }

/**
 * `createUser` under an `Idempotency-Key`, in one round trip: a transaction batch of the key's claim, then one
 * statement that inserts the user only under this request's claim, stores the answer (201 and the row) beside the
 * key, and reads the key's row. So a retry creates nothing and gets the first answer; a concurrent retry waits for
 * the first one's batch and then does the same. A taken email rolls the claim back: nothing is stored, and a
 * retry is judged afresh (it had no effect).
 */
export async function createUserIdempotently(
  db: Database,
  input: NewUser,
  request: IdempotentRequest,
  invitation?: Invitation,
): Promise<IdempotentCreateUserResult> {
  const insert = insertColumns(input)
  // Only a created user is invited: a replay sends nothing again.
  const invited = invitation ? sql`, ${invitedSteps(invitation)}` : sql``
  try {
    const [, result, written] = await db.batch([
      claimIdempotencyKey(db, request),
      db.execute<OutcomeColumns>(sql`
        with claimed as (${heldClaim(request)}),
        created as (
          insert into ${users} ${insert} from claimed
          returning id, name, email, role, created_at, updated_at, version
        ), stored as (${storeAnswer(request, 201, sql`created`)})${invited}
        ${selectOutcome(request, sql`created`)}`),
      // The batch is one transaction: this is the write's id (a replay's is later than the first answer's).
      db.execute<{ position: string }>(sql`select ${writePosition} as position`),
    ])
    const outcome = readOutcome(result.rows[0])
    const position = String(written.rows[0]?.position)
    if (outcome.kind === 'created') {
      return { status: 'created', user: versionedUserFromJson(outcome.row), position }
    }
    if (outcome.kind === 'replayed') {
      return { status: 'replayed', user: versionedUserFromJson(outcome.row), position }
    }
    return { status: outcome.kind }
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_UNIQUE_INDEX)) return { status: 'email-taken' }
    throw error
  }
}

/** CTEs inviting the user of the CTE `created` (a new user has no password yet). */
function invitedSteps(invitation: Invitation) {
  return sql`invitee as (select id, email, null::text as password_hash from created),
    ${inviteStepsFor(sql`invitee`, invitation)}`
}

/** The columns and values of a new user, as `insert into users … select`: without a role the column default applies. */
function insertColumns(input: NewUser) {
  return input.role === undefined
    ? sql`(name, email) select ${input.name}, ${input.email}`
    : sql`(name, email, role) select ${input.name}, ${input.email}, ${input.role}`
}

/** A users row as `to_jsonb` wrote it (snake_case, timestamps as ISO text), as the API's reads type it. */
export function versionedUserFromJson(row: Record<string, unknown>): VersionedUser {
  return {
    id: Number(row.id),
    name: String(row.name),
    email: String(row.email),
    role: row.role as VersionedUser['role'],
    createdAt: new Date(String(row.created_at)),
    updatedAt: new Date(String(row.updated_at)),
    version: Number(row.version),
  }
}

/**
 * Applies a partial update in one statement: `UPDATE … WHERE id = $1 [AND version IN (…)] RETURNING …` as a CTE,
 * read beside the row as it was when the statement began, so one round trip tells the outcomes apart: no row before
 * means not found; a row before and none updated means the version was not an expected one (a concurrent writer
 * holding the row lock wins, the other re-checks the condition against the winner's row and updates nothing);
 * a unique violation means the new email belongs to someone else. (A missing user never reaches the index, so a
 * request that is both is a 404.) The version itself is bumped by the table's trigger (migration 0003).
 */
export async function updateUser(
  db: Database,
  id: number,
  changes: Partial<NewUser>,
  expectedVersions?: ExpectedVersions,
): Promise<UpdateUserResult> {
  const updated = db.$with('updated').as(
    db
      .update(users)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(and(eq(users.id, id), versionIsOneOf(expectedVersions)))
      .returning(versionedUserColumns),
  )
  try {
    const [row] = await db
      .with(updated)
      .select({
        existed: users.id,
        id: updated.id,
        name: updated.name,
        email: updated.email,
        role: updated.role,
        createdAt: updated.createdAt,
        updatedAt: updated.updatedAt,
        version: updated.version,
        position: writePosition,
      })
      .from(users)
      .leftJoin(updated, sql`true`)
      .where(eq(users.id, id))
    if (!row) return { status: 'not-found' }
    const { existed: _existed, position, ...user } = row
    if (isComplete(user)) return { status: 'updated', user, position }
    // The row existed when the statement began and is gone now: deleted concurrently, hence not found, unless a
    // precondition was given (the client's version is stale either way).
    return { status: expectedVersions ? 'precondition-failed' : 'not-found' }
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_UNIQUE_INDEX)) return { status: 'email-taken' }
    throw error
  }
}

/** Deletes a user in one statement, with the same precondition and outcomes as `updateUser`. */
export async function deleteUser(
  db: Database,
  id: number,
  expectedVersions?: ExpectedVersions,
): Promise<DeleteUserResult> {
  const deleted = db.$with('deleted').as(
    db
      .delete(users)
      .where(and(eq(users.id, id), versionIsOneOf(expectedVersions)))
      .returning({ id: users.id }),
  )
  const [row] = await db
    .with(deleted)
    .select({ existed: users.id, deleted: deleted.id, position: writePosition })
    .from(users)
    .leftJoin(deleted, sql`true`)
    .where(eq(users.id, id))
  if (!row) return { status: 'not-found' }
  if (row.deleted !== null) return { status: 'deleted', position: row.position }
  return { status: expectedVersions ? 'precondition-failed' : 'not-found' }
}

/** True when every column of the left-joined row is there, i.e. the CTE returned a row. */
function isComplete<T extends Record<string, unknown>>(row: T): row is { [K in keyof T]: NonNullable<T[K]> } {
  return Object.values(row).every((value) => value !== null && value !== undefined)
}

/** The precondition's SQL: none without expected versions; never true for an empty list (no tag can match). */
function versionIsOneOf(expectedVersions: ExpectedVersions) {
  return expectedVersions === undefined ? undefined : inArray(users.version, [...expectedVersions])
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
