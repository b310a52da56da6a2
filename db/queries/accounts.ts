/**
 * The SQL behind sign-up, log-in, password change, refresh and log-out. Each function is one round trip: steps
 * that need several statements are chained as data-modifying CTEs in one statement (Neon's HTTP driver has no
 * interactive transactions, and one statement is atomic anyway).
 */
import { type SQL, sql } from 'drizzle-orm'
import type { Database } from '../client'
import { isUniqueViolation } from '../errors'
import {
  loginAttempts,
  type Role,
  refreshTokens,
  USERS_EMAIL_UNIQUE_INDEX,
  type User,
  users,
} from '../schema'
import {
  claimIdempotencyKey,
  earlierAnswer,
  heldClaim,
  type IdempotentRequest,
  type OutcomeColumns,
  readOutcome,
  selectOutcome,
  storeAnswer,
} from './idempotency'
import { versionedUserFromJson } from './users'

/** The refresh token to store with a new session step: only its hash ever reaches the database. */
export interface NewRefreshToken {
  tokenHash: string
  familyId: string
  ttlSeconds: number
}

/** A throttling bucket (a hashed email or client address) and the attempts it allows within its window. */
export interface ThrottleBucket {
  bucket: string
  maxAttempts: number
}

export interface LoginCandidate {
  /** The account with this email, hash included; undefined when there is none. */
  account: (User & { passwordHash: string | null }) | undefined
  /** Seconds until a bucket over its limit allows another attempt; undefined when none is. */
  retryAfterSeconds: number | undefined
}

export type SignupResult = { status: 'created'; user: User } | { status: 'email-taken' }
export type IdempotentSignupResult =
  | { status: 'created'; user: User }
  /** The key's first request created this account: its user as first answered, and the role it has now. */
  | { status: 'replayed'; user: User; role: Role }
  /** The key's first request created an account that has since been deleted: there is nothing to sign in to. */
  | { status: 'account-gone' }
  /**
   * The key's first request created this account, whose password has changed since (a change, a reset, anything
   * that wrote a new hash): the replayed body no longer proves what a log-in proves, so it starts no session.
   */
  | { status: 'credential-changed' }
  | { status: 'email-taken' }
  | { status: 'key-reused' }
  | { status: 'in-flight' }
export type RotateResult =
  | { status: 'rotated'; userId: number; role: Role; familyId: string }
  /** The token had been used before: its whole family is now revoked (a stolen token was replayed). */
  | { status: 'reused' }
  /**
   * The token was used moments ago (within the grace period): another tab or a retry of this client got there
   * first. Refused, but nothing is revoked: the winner's session lives on.
   */
  | { status: 'superseded' }
  | { status: 'invalid' }

// Raw SQL rows come back with snake_case names and timestamps as text; the ISO form parses everywhere.
const isoTimestamp = (column: SQL) => sql`to_json(${column}) #>> '{}'`

type UserRow = {
  id: number
  name: string
  email: string
  role: Role
  created_at: string
  updated_at: string
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    role: row.role,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

const expiresIn = (seconds: number) => sql`now() + make_interval(secs => ${seconds}::int)`

/** Inserts the first refresh token of a session for the user row of `source` (a CTE's name). */
const insertSessionOf = (source: SQL, refresh: NewRefreshToken) => sql`
  insert into ${refreshTokens} (token_hash, family_id, user_id, expires_at)
  select ${refresh.tokenHash}, ${refresh.familyId}::uuid, id, ${expiresIn(refresh.ttlSeconds)} from ${source}`

/** The user row of `source` (a CTE returning the users columns), as `toUser` reads it. */
const selectUserRowOf = (source: SQL) => sql`
  select id, name, email, role, ${isoTimestamp(sql`created_at`)} as created_at,
         ${isoTimestamp(sql`updated_at`)} as updated_at
  from ${source}`

/** Creates an account (role `user`) and the first refresh token of its session, or reports the email taken. */
export async function createAccountWithSession(
  db: Database,
  input: { name: string; email: string; passwordHash: string },
  refresh: NewRefreshToken,
): Promise<SignupResult> {
  try {
    const result = await db.execute<UserRow>(sql`
      with new_user as (
        insert into ${users} (name, email, password_hash)
        values (${input.name}, ${input.email}, ${input.passwordHash})
        returning id, name, email, role, created_at, updated_at
      ), session as (${insertSessionOf(sql`new_user`, refresh)})
      ${selectUserRowOf(sql`new_user`)}`)
    const row = result.rows[0]
    if (!row) throw new Error('INSERT … RETURNING returned no row')
    return { status: 'created', user: toUser(row) }
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_UNIQUE_INDEX)) return { status: 'email-taken' }
    throw error
  }
}

/**
 * A digest of a stored password hash, kept beside a sign-up's stored answer: a replay starts a session only while
 * the account's hash still has it, i.e. while its credential is the one the sign-up set. A digest, not the hash, so
 * the idempotency table holds nothing a password guess could be checked against.
 */
const credentialDigestOf = (passwordHash: SQL) =>
  sql`encode(sha256(convert_to(${passwordHash}, 'UTF8')), 'base64')`

/**
 * `createAccountWithSession` under an `Idempotency-Key`, in one round trip (a batch: the key's claim, then one
 * statement). Under this request's claim it creates the account and its session and stores the answer (201 and the
 * user row, and a digest of its password hash; never a token). When an earlier request with the same key and the
 * same fingerprint (an HMAC over the body, password included) created the account, and the account's password
 * hash is still the one it set, it starts a new session for that account instead, with the same `refresh` token:
 * only one of the two branches can have a row, so the token is used once. Any later write of the hash (a change, a
 * reset, a first password set by an invitation) makes such a replay `credential-changed`, with no session.
 */
export async function createAccountWithSessionIdempotently(
  db: Database,
  input: { name: string; email: string; passwordHash: string },
  refresh: NewRefreshToken,
  request: IdempotentRequest,
): Promise<IdempotentSignupResult> {
  try {
    const [, result] = await db.batch([
      claimIdempotencyKey(db, request),
      db.execute<OutcomeColumns & { current_role: Role | null; account_exists: boolean }>(sql`
        with claimed as (${heldClaim(request)}),
        new_user as (
          insert into ${users} (name, email, password_hash)
          select ${input.name}, ${input.email}, ${input.passwordHash} from claimed
          returning id, name, email, role, created_at, updated_at, version,
            ${credentialDigestOf(sql`password_hash`)} as credential
        ), session as (${insertSessionOf(sql`new_user`, refresh)}),
        replayed_account as (
          select u.id, u.role,
            -- No hash now, or an answer stored before digests were kept: not provably unchanged, so no session.
            coalesce(${credentialDigestOf(sql`u.password_hash`)} = a.resource ->> 'credential', false)
              as credential_unchanged
          from (${earlierAnswer(request)}) a join ${users} u on u.id = (a.resource ->> 'id')::int
        ), replayed as (
          select id, role from replayed_account where credential_unchanged
        ), replayed_session as (${insertSessionOf(sql`replayed`, refresh)}),
        stored as (${storeAnswer(request, 201, sql`new_user`)})
        ${selectOutcome(
          request,
          sql`new_user`,
          sql`, (select role from replayed) as current_role,
            exists (select 1 from replayed_account) as account_exists`,
        )}`),
    ])
    const row = result.rows[0]
    const outcome = readOutcome(row)
    if (outcome.kind === 'created') return { status: 'created', user: versionedUserFromJson(outcome.row) }
    if (outcome.kind === 'replayed') {
      const role = row?.current_role
      if (role) return { status: 'replayed', user: versionedUserFromJson(outcome.row), role }
      return { status: row?.account_exists ? 'credential-changed' : 'account-gone' }
    }
    return { status: outcome.kind }
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_UNIQUE_INDEX)) return { status: 'email-taken' }
    throw error
  }
}

/**
 * The key of an email's throttling bucket, computed in SQL from a stored email: the same text `loginBuckets`
 * (edge/auth/login-throttle.ts) hashes at the edge, `email:` and the address in lower case, as base64url SHA-256.
 * Stored emails are trimmed ASCII (the schema's email format), where `lower` and `toLowerCase` agree; a test holds
 * the two forms to one answer. It lets a password change count against the email's bucket without a round trip to
 * read the email first.
 */
const emailBucketOf = (email: SQL) =>
  sql`translate(rtrim(encode(sha256(convert_to('email:' || lower(${email}), 'UTF8')), 'base64'), '='), '+/', '-_')`

/**
 * The throttle's steps, as CTEs following a `limits (bucket, max_attempts)` CTE: an attempt is admitted only when
 * every bucket is under its limit, and then counts in every bucket; a refused attempt counts in none, so retrying
 * behind a throttled address (or for a locked email) never fills the other bucket. The buckets' existing rows are
 * locked first (`FOR UPDATE`, in one order), so concurrent attempts are serialised and judged on the latest counts:
 * parallel guesses cannot slip past a limit. Two attempts that both create a bucket's row race only on the insert,
 * and the upsert re-checks the limit on the row it locks. A few long-expired buckets are pruned on the way.
 */
const throttleSteps = (windowSeconds: number) => sql`
    locked as (
      select a.bucket, a.attempts, a.window_ends_at from ${loginAttempts} a
      where a.bucket in (select bucket from limits)
      order by a.bucket
      for update
    ), full_buckets as (
      select l.window_ends_at from locked l join limits using (bucket)
      where l.window_ends_at > now() and l.attempts >= limits.max_attempts
    ), counted as (
      insert into ${loginAttempts} as a (bucket, attempts, window_ends_at)
      select bucket, 1, now() + make_interval(secs => ${windowSeconds}::int) from limits
      where not exists (select 1 from full_buckets)
      on conflict (bucket) do update set
        attempts = case when a.window_ends_at <= now() then 1 else a.attempts + 1 end,
        window_ends_at = case when a.window_ends_at <= now() then excluded.window_ends_at else a.window_ends_at end
      where a.window_ends_at <= now()
         or a.attempts < (select max_attempts from limits where limits.bucket = a.bucket)
      returning bucket
    ), pruned as (
      delete from ${loginAttempts} where bucket in (
        select bucket from ${loginAttempts}
        where window_ends_at < now() - interval '1 hour' and bucket not in (select bucket from limits)
        limit 20 for update skip locked)
    )`

/** The throttle's verdict, as columns of the final select: whether the attempt counted, else for how long not. */
const throttleVerdict = sql`
      (select count(*) from counted) = (select count(*) from limits) as admitted,
      (select ceil(extract(epoch from max(window_ends_at) - now()))::int from full_buckets) as retry_after`

type ThrottledAccountRow = Partial<UserRow> & {
  password_hash: string | null
  admitted: boolean
  retry_after: number | null
}

/** The account and the verdict from one throttled read (`throttleVerdict` and the users columns, `u.*` nullable). */
function toLoginCandidate(row: ThrottledAccountRow | undefined, windowSeconds: number): LoginCandidate {
  const admitted = row?.admitted === true
  return {
    account: row?.id == null ? undefined : { ...toUser(row as UserRow), passwordHash: row.password_hash },
    // At least 1: Retry-After: 0 would invite an immediate retry that is still refused. A refusal without a full
    // bucket among the locked rows lost the race to create one: its window has only just begun.
    retryAfterSeconds: admitted ? undefined : Math.max(1, row?.retry_after ?? windowSeconds),
  }
}

/**
 * Counts a log-in attempt in every bucket, unless one of them is already full (see `throttleSteps`), and reads the
 * account behind the email, in one statement. A refusal answers with the seconds left in the fullest window (by the
 * database's clock). A failed attempt needs nothing more: it is already counted.
 */
export async function countLoginAttempt(
  db: Database,
  email: string,
  buckets: ThrottleBucket[],
  windowSeconds: number,
): Promise<LoginCandidate> {
  const limits = sql.join(
    buckets.map(({ bucket, maxAttempts }) => sql`(${bucket}::text, ${maxAttempts}::int)`),
    sql`, `,
  )
  const result = await db.execute<ThrottledAccountRow>(sql`
    with limits (bucket, max_attempts) as (values ${limits}),
    ${throttleSteps(windowSeconds)}
    select ${throttleVerdict},
      u.id, u.name, u.email, u.role, u.password_hash,
      ${isoTimestamp(sql`u.created_at`)} as created_at, ${isoTimestamp(sql`u.updated_at`)} as updated_at
    from (select 1) as one
    left join ${users} u on lower(u.email) = lower(${email})`)
  return toLoginCandidate(result.rows[0], windowSeconds)
}

export interface PasswordCheckCandidate extends LoginCandidate {
  /** The key of the account's email bucket, for `changePassword` to settle; undefined when there is no account. */
  emailBucket: string | undefined
}

/**
 * Counts a current-password check of the account `userId` as a log-in attempt, in its email's bucket (computed
 * here from the stored email: a stolen access token buys no guesses beyond log-in's) and the client's, and reads
 * the account, in one statement. No account, no count. See `countLoginAttempt` for the rest.
 */
export async function countPasswordCheck(
  db: Database,
  input: {
    userId: number
    maxAttemptsPerEmail: number
    client: ThrottleBucket | undefined
    windowSeconds: number
  },
): Promise<PasswordCheckCandidate> {
  const { userId, client, windowSeconds } = input
  const result = await db.execute<ThrottledAccountRow & { email_bucket: string | null }>(sql`
    with account as (
      select id, name, email, role, password_hash, created_at, updated_at, ${emailBucketOf(sql`email`)} as email_bucket
      from ${users} where id = ${userId}
    ), limits (bucket, max_attempts) as (
      select email_bucket, ${input.maxAttemptsPerEmail}::int from account
      union all
      select ${client?.bucket ?? null}::text, ${client?.maxAttempts ?? null}::int
      where ${client?.bucket ?? null}::text is not null and exists (select 1 from account)
    ),
    ${throttleSteps(windowSeconds)}
    select ${throttleVerdict},
      u.id, u.name, u.email, u.role, u.password_hash, u.email_bucket,
      ${isoTimestamp(sql`u.created_at`)} as created_at, ${isoTimestamp(sql`u.updated_at`)} as updated_at
    from (select 1) as one
    left join account u on true`)
  const row = result.rows[0]
  return { ...toLoginCandidate(row, windowSeconds), emailBucket: row?.email_bucket ?? undefined }
}

/**
 * Forgets every failed log-in, for every email and client: the way out of a throttle filled on one's own machine
 * (a typo loop, a test script). `npm run dev` calls it on local databases only; answers how many buckets it emptied.
 */
export async function clearLoginThrottle(db: Database): Promise<number> {
  const result = await db.execute<{ cleared: number }>(sql`
    with cleared as (delete from ${loginAttempts} returning 1)
    select count(*)::int as cleared from cleared`)
  return result.rows[0]?.cleared ?? 0
}

/**
 * After a correct password: starts a session (first refresh token of a new family), forgets the email's attempts,
 * refunds this attempt to the client's bucket (many people behind one address log in all day), stores an upgraded
 * hash when the old one used weaker parameters, and drops the user's expired tokens. False when the account
 * disappeared since it was read.
 */
export async function startSession(
  db: Database,
  input: {
    userId: number
    refresh: NewRefreshToken
    emailBucket: string
    clientBucket: string | undefined
    upgradedPasswordHash: string | undefined
  },
): Promise<boolean> {
  const { userId, refresh } = input
  const upgraded = input.upgradedPasswordHash ?? null
  const result = await db.execute<{ user_id: number }>(sql`
    with forgotten as (
      delete from ${loginAttempts} where bucket = ${input.emailBucket}
    ), refunded as (
      update ${loginAttempts} set attempts = greatest(attempts - 1, 0) where bucket = ${input.clientBucket ?? null}
    ), rehashed as (
      update ${users} set password_hash = ${upgraded}::text where id = ${userId} and ${upgraded}::text is not null
    ), expired as (
      delete from ${refreshTokens} where user_id = ${userId} and expires_at < now()
    )
    insert into ${refreshTokens} (token_hash, family_id, user_id, expires_at)
    select ${refresh.tokenHash}, ${refresh.familyId}::uuid, id, ${expiresIn(refresh.ttlSeconds)}
    from ${users} where id = ${userId}
    returning user_id`)
  return result.rows.length > 0
}

/**
 * After a correct current password: stores the new hash, revokes every refresh token of the user (every session
 * ends), starts a new session for the caller, and settles the throttle as a successful log-in does (the email's
 * attempts forgotten, this attempt refunded to the client). Compare-and-set on the hash that was verified: when
 * another change got there first, or the account is gone, nothing is written and the answer is undefined.
 */
export async function changePassword(
  db: Database,
  input: {
    userId: number
    verifiedPasswordHash: string
    newPasswordHash: string
    refresh: NewRefreshToken
    emailBucket: string
    clientBucket: string | undefined
  },
): Promise<User | undefined> {
  const { userId, refresh } = input
  // Every CTE sees the snapshot from before the statement, so the new token is not among the revoked ones.
  const result = await db.execute<UserRow>(sql`
    with changed as (
      update ${users} set password_hash = ${input.newPasswordHash}, updated_at = now()
      where id = ${userId} and password_hash = ${input.verifiedPasswordHash}
      returning id, name, email, role, created_at, updated_at
    ), revoked as (
      update ${refreshTokens} set revoked_at = now()
      where user_id in (select id from changed) and revoked_at is null
    ), forgotten as (
      delete from ${loginAttempts} where bucket = ${input.emailBucket} and exists (select 1 from changed)
    ), refunded as (
      update ${loginAttempts} set attempts = greatest(attempts - 1, 0)
      where bucket = ${input.clientBucket ?? null} and exists (select 1 from changed)
    ), session as (${insertSessionOf(sql`changed`, refresh)})
    ${selectUserRowOf(sql`changed`)}`)
  const row = result.rows[0]
  return row ? toUser(row) : undefined
}

/**
 * Uses a refresh token: if it is live, marks it used and stores its successor in the same family, returning the
 * user's current role (role changes take effect at the next refresh). If it was used more than `graceSeconds` ago,
 * revokes every token of its family; used more recently, it is only refused (`superseded`). Expired, revoked and
 * unknown tokens are simply invalid, and so is a token of another family than `onlyFamilyId` when it is given (a
 * browser's refresh cookie counts only for the session its session-id cookie names: a planted one is not touched).
 */
export async function rotateRefreshToken(
  db: Database,
  presentedHash: string,
  next: Omit<NewRefreshToken, 'familyId'>,
  graceSeconds: number,
  onlyFamilyId?: string,
): Promise<RotateResult> {
  const ofFamily = sql`(${onlyFamilyId ?? null}::uuid is null or family_id = ${onlyFamilyId ?? null}::uuid)`
  const result = await db.execute<{
    reused: boolean | null
    superseded: boolean | null
    user_id: number | null
    role: Role | null
    family_id: string | null
  }>(sql`
    with presented as (
      select family_id,
             used_at < now() - make_interval(secs => ${graceSeconds}) as replayed,
             used_at >= now() - make_interval(secs => ${graceSeconds}) as superseded
      from ${refreshTokens} where token_hash = ${presentedHash} and ${ofFamily}
    ), consumed as (
      update ${refreshTokens} set used_at = now()
      where token_hash = ${presentedHash} and ${ofFamily}
        and used_at is null and revoked_at is null and expires_at > now()
      returning family_id, user_id
    ), revoked as (
      update ${refreshTokens} set revoked_at = now()
      where family_id in (select family_id from presented where replayed) and revoked_at is null
    ), issued as (
      insert into ${refreshTokens} (token_hash, family_id, user_id, expires_at)
      select ${next.tokenHash}, family_id, user_id, ${expiresIn(next.ttlSeconds)} from consumed
      returning user_id, family_id
    )
    select (select replayed from presented) as reused, (select superseded from presented) as superseded,
           u.id as user_id, u.role, i.family_id
    from (select 1) as one
    left join (issued i join ${users} u on u.id = i.user_id) on true`)
  const row = result.rows[0]
  if (row?.reused) return { status: 'reused' }
  if (row?.superseded) return { status: 'superseded' }
  if (row?.user_id == null || row.role == null || row.family_id == null) return { status: 'invalid' }
  return { status: 'rotated', userId: row.user_id, role: row.role, familyId: row.family_id }
}

/** Log-out: revokes every token of the presented token's family (this device's session). */
export async function revokeRefreshTokenFamily(db: Database, tokenHash: string): Promise<void> {
  await db.execute(sql`
    update ${refreshTokens} set revoked_at = now()
    where family_id = (select family_id from ${refreshTokens} where token_hash = ${tokenHash})
      and revoked_at is null`)
}

/** Revokes one session (refresh-token family) of one user, named by the `sid` of its access token. */
export async function revokeRefreshTokenFamilyById(
  db: Database,
  familyId: string,
  userId: number,
): Promise<void> {
  await db.execute(sql`
    update ${refreshTokens} set revoked_at = now()
    where family_id = ${familyId} and user_id = ${userId} and revoked_at is null`)
}

/** Creates or resets an account with a password and a role in one statement (local admin seed, tests). */
export async function upsertAccount(
  db: Database,
  input: { name: string; email: string; passwordHash: string; role: Role },
): Promise<User> {
  const result = await db.execute<UserRow>(sql`
    insert into ${users} (name, email, password_hash, role)
    values (${input.name}, ${input.email}, ${input.passwordHash}, ${input.role})
    on conflict (lower(email)) do update
      set password_hash = excluded.password_hash, role = excluded.role, updated_at = now()
    returning id, name, email, role, ${isoTimestamp(sql`created_at`)} as created_at,
              ${isoTimestamp(sql`updated_at`)} as updated_at`)
  const row = result.rows[0]
  if (!row) throw new Error('INSERT … ON CONFLICT … RETURNING returned no row')
  return toUser(row)
}
