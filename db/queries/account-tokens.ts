/**
 * The SQL behind the emailed links: password reset, invitations, email changes, and unlocking an account. Each
 * function is one round trip, one statement of CTEs; the token and the message it is mailed in are written by the
 * same statement (or not at all). Outcomes are data, not errors.
 */
import { type SQL, sql } from 'drizzle-orm'
import type { Database } from '../client'
import { isUniqueViolation } from '../errors'
import { type ConsistencyPosition, writePosition } from '../replicas'
import {
  type AccountTokenPurpose,
  accountTokens,
  loginAttempts,
  outbox,
  USERS_EMAIL_UNIQUE_INDEX,
  type User,
  users,
} from '../schema'
import {
  emailBucketOf,
  expiresIn,
  insertSessionOf,
  type NewRefreshToken,
  selectUserRowOf,
  type ThrottleBucket,
  throttleSteps,
  throttleVerdict,
  toUser,
  type UserRow,
} from './accounts'
import { type OutgoingMessage, queueMessageFor } from './outbox'

/** A token to store: its hash (never the token) and how long it lives. */
export interface NewAccountToken {
  tokenHash: string
  ttlSeconds: number
}

/**
 * SHA-256 of an account's password hash ('' for none) and lower-cased email: a token remembers the account as it
 * was issued, and works only while both are unchanged.
 */
const accountFingerprintOf = (passwordHash: SQL, email: SQL) =>
  sql`encode(sha256(convert_to(coalesce(${passwordHash}, '') || chr(10) || lower(${email}), 'UTF8')), 'hex')`

/**
 * The key of an email's password-reset bucket, computed in SQL: `password-reset:` and the lower-cased address, as
 * base64url SHA-256, the same text `passwordResetBuckets` (edge/auth/account-links.ts) hashes at the edge.
 */
export const resetBucketOf = (email: SQL) =>
  sql`translate(rtrim(encode(sha256(convert_to('password-reset:email:' || lower(${email}), 'UTF8')), 'base64'), '='), '+/', '-_')`

/**
 * CTEs issuing a token of `purpose` for the users of `source` (a CTE with `id`, `email` and `password_hash`),
 * voiding the ones of the same purpose issued before: only the newest link of each kind works.
 */
const issueTokenSteps = (
  source: SQL,
  purpose: AccountTokenPurpose,
  token: NewAccountToken,
  newEmail: string | null = null,
) => sql`
    superseded as (
      delete from ${accountTokens} where purpose = ${purpose} and user_id in (select id from ${source})
    ), issued as (
      insert into ${accountTokens} (token_hash, user_id, purpose, new_email, account_fingerprint, expires_at)
      select ${token.tokenHash}, id, ${purpose}, ${newEmail}::text,
        ${accountFingerprintOf(sql`password_hash`, sql`email`)},
        ${expiresIn(token.ttlSeconds)}
      from ${source}
    )`

/**
 * CTEs redeeming a live token of one of `purposes` (deleting it: single use) if the account's password and email
 * are still the ones it was issued under; `redeemed` has `user_id`, `new_email` and the account's `old_email`.
 */
const redeemTokenStep = (tokenHash: string, purposes: AccountTokenPurpose[]) => sql`
    redeemed as (
      delete from ${accountTokens} t using ${users} u
      where t.token_hash = ${tokenHash}
        and t.purpose in (${sql.join(
          purposes.map((purpose) => sql`${purpose}`),
          sql`, `,
        )})
        and t.expires_at > now() and u.id = t.user_id
        and t.account_fingerprint = ${accountFingerprintOf(sql`u.password_hash`, sql`u.email`)}
      returning t.user_id, t.new_email, u.email as old_email
    )`

/**
 * The rows written with a new user an admin creates: an invitation token and its email. For the statement that
 * inserts the user (`created`, a CTE with `id`, `email` and `password_hash`): CTEs, to follow it after a comma.
 */
export const inviteStepsFor = (
  created: SQL,
  invitation: { token: NewAccountToken; message: OutgoingMessage },
) =>
  sql`${issueTokenSteps(created, 'invitation', invitation.token)},
    invitation_mail as (${queueMessageFor(created, sql`email`, invitation.message)})`

export type ResetRequestResult = { status: 'accepted' } | { status: 'throttled'; retryAfterSeconds: number }

/**
 * A password-reset request: counts it in the email's and the client's reset buckets (the log-in throttle's steps,
 * in buckets of their own: asking for links never locks anyone out of logging in) and, when admitted and an
 * account has the email, issues the token and queues its email. The same statement runs whether or not the
 * account exists, so the answer and its time tell nothing.
 */
export async function requestPasswordReset(
  db: Database,
  input: {
    email: string
    buckets: ThrottleBucket[]
    windowSeconds: number
    token: NewAccountToken
    message: OutgoingMessage
  },
): Promise<ResetRequestResult> {
  const limits = sql.join(
    input.buckets.map(({ bucket, maxAttempts }) => sql`(${bucket}::text, ${maxAttempts}::int)`),
    sql`, `,
  )
  const result = await db.execute<{ admitted: boolean; retry_after: number | null }>(sql`
    with limits (bucket, max_attempts) as (values ${limits}),
    ${throttleSteps(input.windowSeconds)},
    account as (
      select id, email, password_hash from ${users}
      where lower(email) = lower(${input.email})
        and (select count(*) from counted) = (select count(*) from limits)
    ),
    ${issueTokenSteps(sql`account`, 'password-reset', input.token)},
    mail as (${queueMessageFor(sql`account`, sql`email`, input.message)})
    select ${throttleVerdict}`)
  const row = result.rows[0]
  if (row?.admitted) return { status: 'accepted' }
  return { status: 'throttled', retryAfterSeconds: Math.max(1, row?.retry_after ?? input.windowSeconds) }
}

/**
 * Sets a password from a reset or invitation link: redeems the token, stores the new hash, ends every session of
 * the account (revokes its refresh tokens), voids its other reset and invitation links, clears the email's log-in
 * and reset throttles (whoever holds the link owns the address), and starts a session for the caller. Undefined
 * when the token is unknown, used, expired, superseded, or the password changed since it was issued.
 */
export async function setPasswordWithToken(
  db: Database,
  input: { tokenHash: string; newPasswordHash: string; refresh: NewRefreshToken },
): Promise<User | undefined> {
  // Every CTE sees the snapshot from before the statement: the new session is not among the revoked tokens.
  const result = await db.execute<UserRow>(sql`
    with ${redeemTokenStep(input.tokenHash, ['password-reset', 'invitation'])},
    changed as (
      update ${users} set password_hash = ${input.newPasswordHash}, updated_at = now()
      where id in (select user_id from redeemed)
      returning id, name, email, role, created_at, updated_at
    ), revoked as (
      update refresh_tokens set revoked_at = now()
      where user_id in (select id from changed) and revoked_at is null
    ), voided as (
      delete from ${accountTokens}
      where user_id in (select id from changed) and purpose in ('password-reset', 'invitation')
    ), unthrottled as (
      delete from ${loginAttempts}
      where bucket in (select ${emailBucketOf(sql`email`)} from changed union all select ${resetBucketOf(sql`email`)} from changed)
    ), session as (${insertSessionOf(sql`changed`, input.refresh)})
    ${selectUserRowOf(sql`changed`)}`)
  const row = result.rows[0]
  return row ? toUser(row) : undefined
}

export type InvitationResult = 'invited' | 'not-found' | 'has-password'

/** Sends a user without a password a new invitation (the earlier link stops working). */
export async function reissueInvitation(
  db: Database,
  userId: number,
  invitation: { token: NewAccountToken; message: OutgoingMessage },
): Promise<InvitationResult> {
  const result = await db.execute<{ found: boolean; invited: boolean }>(sql`
    with target as (select id, email, password_hash from ${users} where id = ${userId}),
    pending as (select * from target where password_hash is null),
    ${inviteStepsFor(sql`pending`, invitation)}
    select exists (select 1 from target) as found, exists (select 1 from pending) as invited`)
  const row = result.rows[0]
  if (!row?.found) return 'not-found'
  return row.invited ? 'invited' : 'has-password'
}

export type EmailChangeRequestResult = 'sent' | 'email-taken' | 'password-changed'

/**
 * After a correct current password: issues an email-change token for `newEmail` and mails its link there, and
 * settles the throttle as a successful log-in does. Compare-and-set on the hash that was verified (another change
 * got there first: `password-changed`); an address another account has is `email-taken`.
 */
export async function requestEmailChange(
  db: Database,
  input: {
    userId: number
    verifiedPasswordHash: string
    newEmail: string
    token: NewAccountToken
    message: OutgoingMessage
    emailBucket: string
    clientBucket: string | undefined
  },
): Promise<EmailChangeRequestResult> {
  const result = await db.execute<{ verified: boolean; taken: boolean }>(sql`
    with account as (
      select id, email, password_hash from ${users}
      where id = ${input.userId} and password_hash = ${input.verifiedPasswordHash}
    ), taken as (
      select 1 from ${users} where lower(email) = lower(${input.newEmail}) and id <> ${input.userId}
    ), eligible as (select * from account where not exists (select 1 from taken)),
    ${issueTokenSteps(sql`eligible`, 'email-change', input.token, input.newEmail)},
    mail as (${queueMessageFor(sql`eligible`, sql`${input.newEmail}::text`, input.message)}),
    forgotten as (
      delete from ${loginAttempts} where bucket = ${input.emailBucket} and exists (select 1 from account)
    ), refunded as (
      update ${loginAttempts} set attempts = greatest(attempts - 1, 0)
      where bucket = ${input.clientBucket ?? null} and exists (select 1 from account)
    )
    select exists (select 1 from account) as verified, exists (select 1 from taken) as taken`)
  const row = result.rows[0]
  if (!row?.verified) return 'password-changed'
  return row.taken ? 'email-taken' : 'sent'
}

export type EmailChangeResult =
  /** `position`: the write's, for the caller's next reads (edge/consistency.ts). */
  | { status: 'changed'; user: User; position: ConsistencyPosition }
  | { status: 'invalid-token' }
  | { status: 'email-taken' }

/** Stands for the new address in the body of the message `confirmEmailChange` sends the old one. */
export const NEW_EMAIL_PLACEHOLDER = '{{new-email}}'

/**
 * Follows an email-change link: redeems the token, moves the account to the new address, and tells the old address
 * (`told`, whose body names the new address as NEW_EMAIL_PLACEHOLDER: only the token's row knows it). A new address
 * taken meanwhile leaves everything as it was.
 */
export async function confirmEmailChange(
  db: Database,
  input: { tokenHash: string; told: OutgoingMessage },
): Promise<EmailChangeResult> {
  try {
    const result = await db.execute<UserRow & { position: string }>(sql`
      with ${redeemTokenStep(input.tokenHash, ['email-change'])},
      changed as (
        update ${users} u set email = r.new_email, updated_at = now()
        from redeemed r where u.id = r.user_id
        returning u.id, u.name, u.email, u.role, u.created_at, u.updated_at
      ), told as (
        insert into ${outbox} (to_address, subject, body, kind)
        select old_email, ${input.told.subject}, replace(${input.told.body}, ${NEW_EMAIL_PLACEHOLDER}, new_email),
          ${input.told.kind}
        from redeemed
      )
      ${selectUserRowOf(sql`changed`, sql`, ${writePosition} as position`)}`)
    const row = result.rows[0]
    return row
      ? { status: 'changed', user: toUser(row), position: String(row.position) }
      : { status: 'invalid-token' }
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_UNIQUE_INDEX)) return { status: 'email-taken' }
    throw error
  }
}

/**
 * Clears an account's log-in and password-reset throttles (its email's buckets; clients' buckets are shared by
 * everyone behind an address and left alone). Finds the account by id, or by email for `npm run auth:unlock`.
 * False when there is no such account.
 */
export async function unlockAccount(
  db: Database,
  account: { id: number } | { email: string },
): Promise<boolean> {
  const match = 'id' in account ? sql`id = ${account.id}` : sql`lower(email) = lower(${account.email})`
  const result = await db.execute<{ found: boolean }>(sql`
    with target as (select email from ${users} where ${match}),
    cleared as (
      delete from ${loginAttempts}
      where bucket in (select ${emailBucketOf(sql`email`)} from target union all select ${resetBucketOf(sql`email`)} from target)
    )
    select exists (select 1 from target) as found`)
  return result.rows[0]?.found === true
}
