/** The links mailed to account holders: their tokens (random, stored hashed), lifetimes, URLs and reset throttling. */
import type { Context } from 'hono'
import type { Invitation } from '../../db/queries/users'
import type { AppEnv } from '../context'
import type { LoginThrottleConfig, MailConfig } from '../env'
import { invitationMessage } from '../mail/messages'
import { clientAddress } from './login-throttle'
import { hashRefreshToken, isWellFormedRefreshToken, newRefreshToken, sha256 } from './refresh-tokens'

/** How long each link works. A reset is short (a mailbox is read within minutes); an invitation may wait a week. */
export const PASSWORD_RESET_SECONDS = 30 * 60
export const INVITATION_SECONDS = 7 * 24 * 60 * 60
export const EMAIL_CHANGE_SECONDS = 24 * 60 * 60

/** Where each link leads: a page that posts the token back (a GET never spends it: mail scanners follow links). */
export const RESET_PASSWORD_PAGE = '/reset-password'
export const VERIFY_EMAIL_PAGE = '/verify-email'

/**
 * A new link token: 256 random bits for the email (the same form as a refresh token), its SHA-256 for the
 * database. Only the hash is stored with the account.
 */
export async function newLinkToken(ttlSeconds: number) {
  const token = newRefreshToken()
  return { token, stored: { tokenHash: await hashRefreshToken(token), ttlSeconds } }
}

/** The stored form of a token presented back, or undefined for text we could never have issued (no round trip). */
export async function presentedLinkTokenHash(token: string): Promise<string | undefined> {
  return isWellFormedRefreshToken(token) ? hashRefreshToken(token) : undefined
}

/**
 * The absolute URL of `path` with `token`: on APP_ORIGIN when set (required in production with email), else on
 * the origin the request reached (local development and tests, where nothing leaves the outbox).
 */
export function linkTo(
  c: Context<AppEnv>,
  mail: MailConfig,
  path: string,
  query: Record<string, string>,
): string {
  const url = new URL(path, mail.appOrigin ?? new URL(c.req.url).origin)
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
  return url.href
}

/**
 * The buckets a reset request counts in: its email and its client, hashed, apart from log-in's (asking for links
 * never locks anyone out of logging in), with log-in's limits. The email's is also computed in SQL
 * (`resetBucketOf` in db/queries/account-tokens.ts): change both or neither.
 */
export async function passwordResetBuckets(email: string, headers: Headers, limits: LoginThrottleConfig) {
  const address = clientAddress(headers)
  return [
    {
      bucket: await sha256(`password-reset:email:${email.trim().toLowerCase()}`),
      maxAttempts: limits.maxFailuresPerEmail,
    },
    ...(address === undefined
      ? []
      : [
          {
            bucket: await sha256(`password-reset:client:${address}`),
            maxAttempts: limits.maxFailuresPerClient,
          },
        ]),
  ]
}

/** An invitation for a user without a password: its token, and the email with its link to the set-password page. */
export async function newInvitation(c: Context<AppEnv>, mail: MailConfig): Promise<Invitation> {
  const link = await newLinkToken(INVITATION_SECONDS)
  const url = linkTo(c, mail, RESET_PASSWORD_PAGE, { token: link.token, invited: '1' })
  return { token: link.stored, message: invitationMessage(url) }
}
