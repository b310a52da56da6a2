/** What every auth flow shares: its dependencies, the session's cookies and tokens, the throttle count, rotation. */
import type { Context } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import type { Database } from '../../../db/client'
import { countLoginAttempt, type NewRefreshToken, rotateRefreshToken } from '../../../db/queries/accounts'
import type { ReadRouter } from '../../../db/replicas'
import { REFRESH_COOKIE, REFRESH_COOKIE_PATH, readCookie, SESSION_COOKIE } from '../../auth/credentials'
import { bucketLimits, type LoginBuckets } from '../../auth/login-throttle'
import { hashRefreshToken, isWellFormedRefreshToken, newRefreshToken } from '../../auth/refresh-tokens'
import type { Identity, TokenService } from '../../auth/tokens'
import type { AppEnv } from '../../context'
import type { AuthConfig } from '../../env'
import { timeDatabase } from '../../middleware/server-timing'

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

/**
 * Whether the browser reached us over https: the request's own scheme (Vercel's, or TLS on this server), or
 * `X-Forwarded-Proto: https` from a proxy that ended TLS in front of a plain-http server (next start builds the URL
 * from that header; the production server keeps it only from a proxy TRUST_PROXY trusts). Over plain http, browsers
 * drop a Secure cookie (localhost aside), so log-in would silently fail on an http-only host.
 */
function reachedOverHttps(c: Context<AppEnv>): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https'
}

/** The attributes every cookie of ours has: never readable by scripts, not sent on cross-site subrequests. */
export function cookieBasics(c: Context<AppEnv>) {
  return { httpOnly: true, secure: reachedOverHttps(c), sameSite: 'Lax' as const }
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
  setCookie(c, SESSION_COOKIE, accessToken, { ...basics, path: '/', maxAge: config.accessTokenSeconds })
  setCookie(c, REFRESH_COOKIE, refreshToken, {
    ...basics,
    path: REFRESH_COOKIE_PATH,
    maxAge: config.refreshTokenSeconds,
  })
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
  deleteCookie(c, SESSION_COOKIE, { ...basics, path: '/' })
  deleteCookie(c, REFRESH_COOKIE, { ...basics, path: REFRESH_COOKIE_PATH })
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
 * Spends `presented` for the next refresh token and a new access token (cookies set too). Otherwise says why:
 * `superseded` (used moments ago, by another tab or a retry: nothing revoked, cookies left alone, since the
 * winner may just have set them in this browser) or `invalid` (missing, unknown, expired, revoked, or a replay,
 * which revoked its family; the cookies are cleared).
 */
export async function rotateSession(
  deps: AuthDependencies,
  c: Context<AppEnv>,
  presented: string | undefined,
) {
  const { db, config } = deps
  if (!canSign(config) || !presented || !isWellFormedRefreshToken(presented))
    return { status: 'invalid' as const }
  const next = await newRefresh(config)
  const result = await timeDatabase(c, async () =>
    rotateRefreshToken(
      db,
      await hashRefreshToken(presented),
      { tokenHash: next.stored.tokenHash, ttlSeconds: next.stored.ttlSeconds },
      config.refreshReuseGraceSeconds,
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

/** The refresh token from the body (API clients) or the cookie (browsers). */
export function presentedRefreshToken(
  c: Context<AppEnv>,
  body: { refreshToken?: string },
): string | undefined {
  return body.refreshToken ?? readCookie(c.req.raw.headers, REFRESH_COOKIE)
}
