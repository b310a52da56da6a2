/** What every auth flow shares: its dependencies, the session's cookies and tokens, the throttle count, rotation. */
import type { Context } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import type { Database } from '../../../db/client'
import {
  countLoginAttempt,
  countPasswordCheck,
  type NewRefreshToken,
  rotateRefreshToken,
} from '../../../db/queries/accounts'
import type { ReadRouter } from '../../../db/replicas'
import { cookieNamesFor } from '../../auth/cookies'
import { REFRESH_COOKIE_PATH, readCookie } from '../../auth/credentials'
import { bucketLimits, clientBucket, type LoginBuckets } from '../../auth/login-throttle'
import { verifyPassword } from '../../auth/password'
import { hashRefreshToken, isWellFormedRefreshToken, newRefreshToken } from '../../auth/refresh-tokens'
import type { Identity, TokenService } from '../../auth/tokens'
import type { AppEnv } from '../../context'
import type { AuthConfig } from '../../env'
import { timeDatabase } from '../../middleware/server-timing'
import { inSpan } from '../../middleware/trace'
import { problems } from '../../problem'

/** What the auth flows need, handed in once by `authRoutes`. */
export interface AuthDependencies {
  db: Database
  config: AuthConfig
  tokens: TokenService
  /** Where "who am I" reads its user: a replica that may serve the caller, else `db` (db/replicas.ts). */
  reads: ReadRouter
}

export const json = <T>(schema: T) => ({ 'application/json': { schema } })

/** Built-in accounts need a secret to sign our own tokens; with only an external identity provider there is none. */
export const canSign = (config: AuthConfig) => config.secrets.length > 0

/** Our cookies' names for this request (`__Host-`/`__Secure-` over https and on localhost; see edge/auth/cookies.ts). */
export function cookieNames(c: Context<AppEnv>) {
  return cookieNamesFor(c.req.url, c.req.raw.headers)
}

/**
 * The attributes every cookie of ours has: never readable by scripts, not sent on cross-site subrequests, Secure
 * over https and on localhost (browsers drop Secure cookies over plain http elsewhere, so log-in would silently fail).
 */
export function cookieBasics(c: Context<AppEnv>) {
  return { httpOnly: true, secure: cookieNames(c).secure, sameSite: 'Lax' as const }
}

/** A new refresh token for the client, and what the database stores of it (its hash), in `familyId`'s session. */
export async function newRefresh(config: AuthConfig, familyId: string = crypto.randomUUID()) {
  const token = newRefreshToken()
  const stored: NewRefreshToken = {
    tokenHash: await hashRefreshToken(token),
    familyId,
    ttlSeconds: config.refreshTokenSeconds,
  }
  return { token, stored }
}

/**
 * Sets both cookies and returns the token part of the body, for browsers and API clients alike. The access token
 * names its session (`sid`: the refresh-token family), so log-out can end it without the refresh token.
 */
export async function issueTokens(
  deps: AuthDependencies,
  c: Context<AppEnv>,
  identity: Identity,
  refreshToken: string,
  familyId: string,
) {
  const { config } = deps
  const accessToken = await deps.tokens.signAccessToken({ ...identity, sessionId: familyId })
  // Tokens must not sit in a browser's or a proxy's cache (OAuth 2.0, RFC 6749 §5.1).
  c.header('Cache-Control', 'no-store')
  const basics = cookieBasics(c)
  const names = cookieNames(c)
  // Hono adds nothing for the prefixes: the attributes they require (Secure; Path=/ and no Domain for __Host-)
  // are these, and it refuses to write a prefixed cookie without them.
  setCookie(c, names.session, accessToken, { ...basics, path: '/', maxAge: config.accessTokenSeconds })
  setCookie(c, names.refresh, refreshToken, {
    ...basics,
    path: REFRESH_COOKIE_PATH,
    maxAge: config.refreshTokenSeconds,
  })
  setCookie(c, names.sessionId, familyId, { ...basics, path: '/', maxAge: config.refreshTokenSeconds })
  return {
    tokenType: 'Bearer' as const,
    accessToken,
    expiresIn: config.accessTokenSeconds,
    refreshToken,
    refreshTokenExpiresIn: config.refreshTokenSeconds,
  }
}

export function clearCookies(c: Context<AppEnv>) {
  const basics = cookieBasics(c)
  const names = cookieNames(c)
  deleteCookie(c, names.session, { ...basics, path: '/' })
  deleteCookie(c, names.refresh, { ...basics, path: REFRESH_COOKIE_PATH })
  deleteCookie(c, names.sessionId, { ...basics, path: '/' })
}

/** Counts a log-in attempt against the email's and the client's buckets, and reads the account behind the email. */
export function countAttempt(
  deps: AuthDependencies,
  c: Context<AppEnv>,
  email: string,
  buckets: LoginBuckets,
) {
  const { db, config } = deps
  const limits = bucketLimits(buckets, config.loginThrottle)
  return timeDatabase(c, () => countLoginAttempt(db, email, limits, config.loginThrottle.windowSeconds))
}

/**
 * A signed-in user's current password, checked as a log-in is: counted first in the same buckets (its email's,
 * computed by the statement from the stored email, and the client's), so a stolen access token buys no more
 * guesses than log-in gives; the account is read by the same statement. Throws the problem to answer (account
 * gone, throttled, wrong password); otherwise the verified hash (the compare-and-set value of the write that
 * follows) and the buckets that write settles.
 */
export async function checkCurrentPassword(
  deps: AuthDependencies,
  c: Context<AppEnv>,
  userId: number,
  currentPassword: string,
): Promise<{ verifiedPasswordHash: string; emailBucket: string; clientBucket: string | undefined }> {
  const { db, config } = deps
  const client = await clientBucket(c.req.raw.headers)
  const { loginThrottle } = config
  const { account, emailBucket, retryAfterSeconds } = await timeDatabase(c, () =>
    countPasswordCheck(db, {
      userId,
      maxAttemptsPerEmail: loginThrottle.maxFailuresPerEmail,
      client:
        client === undefined
          ? undefined
          : { bucket: client, maxAttempts: loginThrottle.maxFailuresPerClient },
      windowSeconds: loginThrottle.windowSeconds,
    }),
  )
  if (!account || emailBucket === undefined) {
    throw problems.notFound('The account of this session no longer exists.')
  }
  if (retryAfterSeconds !== undefined) throw problems.tooManyLoginAttempts(retryAfterSeconds)
  const stored = account.passwordHash
  if (
    stored === null ||
    !(await inSpan(c, 'verify password', () => verifyPassword(currentPassword, stored)))
  ) {
    throw problems.wrongPassword()
  }
  return { verifiedPasswordHash: stored, emailBucket, clientBucket: client }
}

/**
 * Spends `presented` for the next refresh token and a new access token (cookies set too). Otherwise says why:
 * `superseded` (used moments ago, by another tab or a retry: nothing revoked, cookies left alone, since the
 * winner may just have set them in this browser) or `invalid` (missing, unknown, expired, revoked, or a replay,
 * which revoked its family; the cookies are cleared).
 */
export async function rotateSession(
  deps: AuthDependencies,
  c: Context<AppEnv>,
  presented: string | undefined,
  fromCookie: boolean,
) {
  const { db, config } = deps
  // A refresh cookie counts only with the session-id cookie naming its session: another host under the same domain
  // can plant a refresh cookie (its Path=/api/auth rules out __Host-), but not a __Host- cookie to go with it.
  const onlyFamilyId = fromCookie ? readCookie(c.req.raw.headers, cookieNames(c).sessionId) : undefined
  if (
    !canSign(config) ||
    !presented ||
    !isWellFormedRefreshToken(presented) ||
    (fromCookie && !isUuid(onlyFamilyId))
  )
    return { status: 'invalid' as const }
  const next = await newRefresh(config)
  const result = await timeDatabase(c, async () =>
    rotateRefreshToken(
      db,
      await hashRefreshToken(presented),
      { tokenHash: next.stored.tokenHash, ttlSeconds: next.stored.ttlSeconds },
      config.refreshReuseGraceSeconds,
      onlyFamilyId,
    ),
  )
  if (result.status === 'superseded') return { status: 'superseded' as const }
  if (result.status !== 'rotated') {
    clearCookies(c)
    return { status: 'invalid' as const }
  }
  const identity: Identity = { userId: String(result.userId), role: result.role }
  const session = await issueTokens(deps, c, identity, next.token, result.familyId)
  return { status: 'rotated' as const, identity, session }
}

/** The refresh token from the body (API clients), else the cookie (browsers); two refresh cookies are a problem. */
export function presentedRefreshToken(c: Context<AppEnv>, body: { refreshToken?: string }) {
  if (body.refreshToken !== undefined) return { token: body.refreshToken, fromCookie: false }
  return { token: refreshCookieOf(c), fromCookie: true }
}

const isUuid = (text: string | undefined): text is string =>
  text !== undefined && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)

/** The refresh cookie of this request; two of them throw `/problems/ambiguous-cookies` (one may be planted). */
export function refreshCookieOf(c: Context<AppEnv>): string | undefined {
  return readCookie(c.req.raw.headers, cookieNames(c).refresh)
}
