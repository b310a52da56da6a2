/** Built-in accounts: sign-up, log-in, password change, refresh, log-out and "who am I", with our own tokens. */

import type { Context } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import * as z from 'zod'
import type { Database } from '../../db/client'
import {
  changePassword,
  countLoginAttempt,
  createAccountWithSession,
  createAccountWithSessionIdempotently,
  type NewRefreshToken,
  revokeRefreshTokenFamily,
  revokeRefreshTokenFamilyById,
  rotateRefreshToken,
  startSession,
} from '../../db/queries/accounts'
import { findUserById } from '../../db/queries/users'
import { builtInUserId } from '../auth/built-in-user'
import { REFRESH_COOKIE, REFRESH_COOKIE_PATH, readCookie, SESSION_COOKIE } from '../auth/credentials'
import { logInThenReturnTo } from '../auth/gate'
import { bucketLimits, type LoginBuckets, loginBuckets } from '../auth/login-throttle'
import { decoyHash, hashPassword, needsRehash, verifyPassword } from '../auth/password'
import { hashRefreshToken, isWellFormedRefreshToken, newRefreshToken } from '../auth/refresh-tokens'
import type { Identity, TokenService } from '../auth/tokens'
import type { AppEnv } from '../context'
import type { AuthConfig } from '../env'
import {
  idempotencyKeyOf,
  idempotencyKeyParameter,
  idempotentRequest,
  REPLAYED_HEADER,
  replayedResponseHeader,
} from '../idempotency'
import { currentIdentity } from '../middleware/authenticate'
import { timeDatabase } from '../middleware/server-timing'
import { documented } from '../openapi'
import { problems } from '../problem'
import { createRoute, createRouter } from '../router'
import { isFormPost, isSameOrigin, sameSitePath } from '../same-origin'
import {
  ChangePasswordSchema,
  LoginSchema,
  MeSchema,
  RefreshedSessionSchema,
  RefreshTokenBodySchema,
  SessionSchema,
  SignupSchema,
} from '../schemas/auth'
import { problemResponse } from '../schemas/problem'
import { toUserResponse } from '../user-response'

const json = <T>(schema: T) => ({ 'application/json': { schema } })

/** Marks one retry of a session renewal that lost a race with another tab (see the resume route). */
const RESUME_RETRY_COOKIE = 'edgeline_resume_retry'

/** Where a log-out form post lands. */
const LOGGED_OUT_PAGE = '/login?logged-out'

const signupRoute = createRoute({
  ...documented({
    operationId: 'signUp',
    tag: 'Authentication',
    summary: 'Sign up',
    description:
      'Creates an account with the role `user` and starts its session: the tokens in the body, and as cookies ' +
      'for browsers. Passwords are 8 to 256 characters. Public.',
    touchesDatabase: true,
  }),
  method: 'post',
  path: '/signup',
  request: { body: { required: true, content: json(SignupSchema) } },
  parameters: [idempotencyKeyParameter],
  responses: {
    201: {
      description:
        'The account and its session; cookies are set too. A replay (same Idempotency-Key and body) answers the ' +
        'same user and Location with a new session of the same account: tokens are never stored',
      headers: replayedResponseHeader,
      content: json(SessionSchema),
    },
    400: problemResponse('The Idempotency-Key is malformed'),
    404: problemResponse('A replay, and the account the first request created has since been deleted'),
    409: problemResponse(
      'The email is already in use (/problems/email-taken), or a request with this Idempotency-Key is still ' +
        'in progress (/problems/idempotency-key-in-flight)',
    ),
    422: problemResponse(
      'Invalid fields (/problems/validation-failed), or this Idempotency-Key was used with another body ' +
        '(/problems/idempotency-key-reused)',
    ),
    501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
  },
})

const loginRoute = createRoute({
  ...documented({
    operationId: 'logIn',
    tag: 'Authentication',
    summary: 'Log in',
    description:
      'Starts a session for an email and password: the tokens in the body, and as cookies for browsers. An ' +
      'unknown email and a wrong password get the same 401; too many failures for an email or a client, 429. Public.',
    touchesDatabase: true,
  }),
  method: 'post',
  path: '/login',
  request: { body: { required: true, content: json(LoginSchema) } },
  responses: {
    200: { description: 'A new session; cookies are set too', content: json(SessionSchema) },
    401: problemResponse('The email or the password is wrong (the same answer for both)'),
    422: problemResponse('Invalid fields'),
    429: problemResponse('Too many failed log-ins for this email or client; see Retry-After'),
    501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
  },
})

const changePasswordRoute = createRoute({
  ...documented({
    operationId: 'changePassword',
    tag: 'Authentication',
    summary: 'Change the password',
    description:
      'Checks the current password, sets the new one (8 to 256 characters), ends every session of the account ' +
      'and starts a new one for the caller. Access tokens already issued stay valid until they expire.',
    touchesDatabase: true,
  }),
  method: 'post',
  path: '/password',
  request: { body: { required: true, content: json(ChangePasswordSchema) } },
  responses: {
    200: {
      description:
        'The password is changed and every refresh token of the account revoked; this new session (cookies ' +
        "too) replaces the caller's",
      content: json(SessionSchema),
    },
    403: problemResponse(
      'The caller is a subject of the external identity provider, not a built-in account: it has no password here',
    ),
    404: problemResponse('The account of the access token no longer exists'),
    422: problemResponse(
      'Invalid fields (/problems/validation-failed), or the current password is wrong or the account has none ' +
        '(/problems/wrong-password, with a field error on currentPassword)',
    ),
    429: problemResponse(
      'Too many failed log-ins or password checks for this account or client (the log-in throttle); ' +
        'see Retry-After',
    ),
    501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
  },
})

const refreshRoute = createRoute({
  ...documented({
    operationId: 'refreshSession',
    tag: 'Authentication',
    summary: 'Refresh the session',
    description:
      'Spends a refresh token (from the body, or else the refresh cookie) for a new access token and the next ' +
      'refresh token. A token used again more than 30 seconds after its use revokes its whole session. Public.',
    touchesDatabase: true,
  }),
  method: 'post',
  path: '/refresh',
  request: { body: { required: false, content: json(RefreshTokenBodySchema) } },
  responses: {
    200: {
      description: 'A new access token and the next refresh token',
      content: json(RefreshedSessionSchema),
    },
    401: problemResponse('The refresh token is unknown, expired, revoked or was already used'),
  },
})

const resumeRoute = createRoute({
  ...documented({
    operationId: 'resumeSession',
    tag: 'Authentication',
    summary: 'Resume a browser session',
    description:
      'For browsers, not API clients: renews an expired session cookie from the refresh cookie and redirects ' +
      'back to `next` (a path on this site), or to the log-in page. Always a 303. Public.',
    touchesDatabase: true,
  }),
  method: 'get',
  path: '/resume',
  request: {
    query: z.object({
      next: z.string().optional().meta({ description: 'A path on this site to go back to' }),
    }),
  },
  responses: {
    303: {
      description:
        'For browsers: a page visit whose 15-minute session cookie has expired is sent here by the middleware. ' +
        'With a valid refresh cookie, the session is renewed (new cookies) and the browser goes back to `next`; ' +
        'otherwise to the log-in page, which brings it back after logging in',
    },
  },
})

const logoutRoute = createRoute({
  ...documented({
    operationId: 'logOut',
    tag: 'Authentication',
    summary: 'Log out',
    description:
      'Ends a session (the refresh token sent, or the refresh cookie, or else the session the access token ' +
      'names) and clears the cookies. Takes an HTML form post from this site too. Public: an expired session ' +
      'can still be ended.',
    touchesDatabase: true,
  }),
  method: 'post',
  path: '/logout',
  request: {
    body: {
      required: false,
      content: {
        ...json(RefreshTokenBodySchema),
        // A log-out button on a page: a plain HTML form, no JavaScript. Its fields are ignored.
        'application/x-www-form-urlencoded': { schema: z.object({}) },
      },
    },
  },
  responses: {
    204: {
      description:
        'The session is revoked (the one of the refresh token sent, or else the one the access token names in ' +
        'its `sid` claim) and the cookies are cleared',
    },
    303: { description: 'The same, for an HTML form post from this site: on to the log-in page' },
    403: problemResponse('An HTML form post from another site (CSRF)'),
  },
})

const meRoute = createRoute({
  ...documented({
    operationId: 'getCurrentUser',
    tag: 'Authentication',
    summary: 'Who am I',
    description:
      "The access token's subject and role, and the account it names. `user` is null when the account was " +
      'deleted since the token was issued, or the subject belongs to the external identity provider.',
    touchesDatabase: true,
  }),
  method: 'get',
  path: '/me',
  responses: {
    200: { description: 'Who the access token says the caller is', content: json(MeSchema) },
    401: problemResponse('No valid access token'),
  },
})

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
function cookieBasics(c: Context<AppEnv>) {
  return { httpOnly: true, secure: reachedOverHttps(c), sameSite: 'Lax' as const }
}

export function authRoutes(db: Database, config: AuthConfig, tokens: TokenService) {
  const canSign = config.secrets.length > 0

  async function newRefresh(familyId: string = crypto.randomUUID()) {
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
  async function issueTokens(c: Context<AppEnv>, identity: Identity, refreshToken: string, familyId: string) {
    const accessToken = await tokens.signAccessToken({ ...identity, sessionId: familyId })
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

  function clearCookies(c: Context<AppEnv>) {
    const basics = cookieBasics(c)
    deleteCookie(c, SESSION_COOKIE, { ...basics, path: '/' })
    deleteCookie(c, REFRESH_COOKIE, { ...basics, path: REFRESH_COOKIE_PATH })
  }

  /** Counts a log-in (or current-password) attempt against the email's and the client's buckets. */
  function countAttempt(c: Context<AppEnv>, email: string, buckets: LoginBuckets) {
    const limits = bucketLimits(buckets, config.loginThrottle)
    return timeDatabase(c, () => countLoginAttempt(db, email, limits, config.loginThrottle.windowSeconds))
  }

  /**
   * Spends `presented` for the next refresh token and a new access token (cookies set too). Otherwise says why:
   * `superseded` (used moments ago, by another tab or a retry: nothing revoked, cookies left alone, since the
   * winner may just have set them in this browser) or `invalid` (missing, unknown, expired, revoked, or a replay,
   * which revoked its family; the cookies are cleared).
   */
  async function rotateSession(c: Context<AppEnv>, presented: string | undefined) {
    if (!canSign || !presented || !isWellFormedRefreshToken(presented)) return { status: 'invalid' as const }
    const next = await newRefresh()
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
    const session = await issueTokens(c, identity, next.token, result.familyId)
    return { status: 'rotated' as const, identity, session }
  }

  /** The refresh token from the body (API clients) or the cookie (browsers). */
  function presentedRefreshToken(c: Context<AppEnv>, body: { refreshToken?: string }): string | undefined {
    return body.refreshToken ?? readCookie(c.req.raw.headers, REFRESH_COOKIE)
  }

  return createRouter()
    .openapi(signupRoute, async (c) => {
      if (!canSign) throw problems.accountsDisabled()
      const { name, email, password } = c.req.valid('json')
      const key = idempotencyKeyOf(c)
      const [passwordHash, refresh, claim] = await Promise.all([
        hashPassword(password),
        newRefresh(),
        // Scoped to the email: only one account can have it, so no other client's keys can meet this one. The
        // fingerprint is an HMAC under our secret, because the body holds the password.
        key &&
          idempotentRequest(
            `signup:${email.toLowerCase()}`,
            key,
            { method: 'POST', path: '/api/auth/signup', body: { name, email, password } },
            config.secrets[0],
          ),
      ])
      const result = await timeDatabase(c, () =>
        claim
          ? createAccountWithSessionIdempotently(db, { name, email, passwordHash }, refresh.stored, claim)
          : createAccountWithSession(db, { name, email, passwordHash }, refresh.stored),
      )
      if (result.status === 'email-taken') throw problems.emailTaken()
      if (result.status === 'key-reused') throw problems.idempotencyKeyReused()
      if (result.status === 'in-flight') throw problems.idempotencyKeyInFlight()
      if (result.status === 'account-gone') {
        throw problems.notFound('The account this sign-up created has since been deleted.')
      }
      const { user } = result
      // A replay's session is new (stored answers hold no tokens), and carries the account's role as it is now.
      if (result.status === 'replayed') c.header(REPLAYED_HEADER, 'true')
      const identity = {
        userId: String(user.id),
        role: result.status === 'replayed' ? result.role : user.role,
      }
      const session = await issueTokens(c, identity, refresh.token, refresh.stored.familyId)
      c.header('Location', `/api/users/${user.id}`)
      return c.json({ user: toUserResponse(user), ...session }, 201)
    })
    .openapi(loginRoute, async (c) => {
      if (!canSign) throw problems.accountsDisabled()
      const { email, password } = c.req.valid('json')
      const buckets = await loginBuckets(email, c.req.raw.headers)
      const { account, retryAfterSeconds } = await countAttempt(c, email, buckets)
      // Refused before the password is even checked, so a locked-out guess learns nothing.
      if (retryAfterSeconds !== undefined) throw problems.tooManyLoginAttempts(retryAfterSeconds)
      // An unknown email, or an account without a password, costs the same hashing time as a wrong password.
      const stored = account?.passwordHash ?? (await decoyHash())
      const valid = (await verifyPassword(password, stored)) && account?.passwordHash != null
      if (!account || !valid) throw problems.invalidCredentials()

      const refresh = await newRefresh()
      const upgradedPasswordHash = needsRehash(stored) ? await hashPassword(password) : undefined
      const started = await timeDatabase(c, () =>
        startSession(db, {
          userId: account.id,
          refresh: refresh.stored,
          emailBucket: buckets.email,
          clientBucket: buckets.client,
          upgradedPasswordHash,
        }),
      )
      if (!started) throw problems.invalidCredentials()
      const { passwordHash: _hash, ...user } = account
      const identity = { userId: String(user.id), role: user.role }
      const session = await issueTokens(c, identity, refresh.token, refresh.stored.familyId)
      return c.json({ user: toUserResponse(user), ...session }, 200)
    })
    .openapi(changePasswordRoute, async (c) => {
      if (!canSign) throw problems.accountsDisabled()
      const userId = builtInUserId(currentIdentity(c))
      if (userId === undefined) {
        throw problems.forbidden(
          'Only built-in accounts have a password here; change it with your identity provider.',
        )
      }
      const { currentPassword, newPassword } = c.req.valid('json')
      // The throttle's email bucket is hashed here, at the edge, so the email is read first: one more round trip.
      const user = await timeDatabase(c, () => findUserById(db, userId))
      if (!user) throw problems.notFound('The account of this session no longer exists.')
      const buckets = await loginBuckets(user.email, c.req.raw.headers)
      // The same count as a log-in's, before the password is checked: a stolen access token buys no more guesses.
      const { account, retryAfterSeconds } = await countAttempt(c, user.email, buckets)
      if (retryAfterSeconds !== undefined) throw problems.tooManyLoginAttempts(retryAfterSeconds)
      // Another account behind the email means it changed hands between the two reads: nothing to check against.
      const currentHash = account?.id === userId ? account.passwordHash : null
      if (currentHash === null || !(await verifyPassword(currentPassword, currentHash))) {
        throw problems.wrongPassword()
      }

      const [newPasswordHash, refresh] = await Promise.all([hashPassword(newPassword), newRefresh()])
      const changed = await timeDatabase(c, () =>
        changePassword(db, {
          userId,
          verifiedPasswordHash: currentHash,
          newPasswordHash,
          refresh: refresh.stored,
          emailBucket: buckets.email,
          clientBucket: buckets.client,
        }),
      )
      // A concurrent change (or deletion) won: the password just verified is no longer the current one.
      if (!changed) throw problems.wrongPassword()
      const identity = { userId: String(changed.id), role: changed.role }
      const session = await issueTokens(c, identity, refresh.token, refresh.stored.familyId)
      return c.json({ user: toUserResponse(changed), ...session }, 200)
    })
    .openapi(refreshRoute, async (c) => {
      const rotated = await rotateSession(c, presentedRefreshToken(c, c.req.valid('json')))
      if (rotated.status !== 'rotated') throw problems.invalidRefreshToken()
      return c.json({ ...rotated.identity, ...rotated.session }, 200)
    })
    .openapi(resumeRoute, async (c) => {
      const next = sameSitePath(c.req.valid('query').next)
      const toLogin = logInThenReturnTo(next)
      // Never cached: each answer either carries new tokens or depends on the cookies sent.
      c.header('Cache-Control', 'no-store')
      const rotated = await rotateSession(c, readCookie(c.req.raw.headers, REFRESH_COOKIE))
      if (rotated.status === 'rotated') return c.redirect(next, 303)
      if (rotated.status === 'invalid') return c.redirect(toLogin, 303)
      // Another tab renewed with this cookie a moment ago and set new cookies in this browser: go back once and
      // use them. Back here again with the old cookie (they were not stored), go to log in instead of looping.
      if (readCookie(c.req.raw.headers, RESUME_RETRY_COOKIE)) return c.redirect(toLogin, 303)
      setCookie(c, RESUME_RETRY_COOKIE, '1', {
        ...cookieBasics(c),
        path: REFRESH_COOKIE_PATH,
        maxAge: config.refreshReuseGraceSeconds,
      })
      return c.redirect(next, 303)
    })
    .openapi(logoutRoute, async (c) => {
      // A browser's form sends the refresh cookie here (Path=/api/auth), even after its access token expired.
      const fromForm = isFormPost(c.req.header('content-type'))
      if (fromForm && !isSameOrigin(c.req.raw)) throw problems.forbidden('Cross-site form posts are refused.')
      const presented = presentedRefreshToken(c, fromForm ? {} : c.req.valid('json'))
      const caller = c.get('identity')
      const callerId = caller ? builtInUserId(caller) : undefined
      if (presented && isWellFormedRefreshToken(presented)) {
        const tokenHash = await hashRefreshToken(presented)
        await timeDatabase(c, () => revokeRefreshTokenFamily(db, tokenHash))
      } else if (caller?.sessionId && callerId !== undefined) {
        // A browser form posts from a page, where the refresh cookie (Path=/api/auth) is not sent: the access
        // token's `sid` names the session instead.
        const { sessionId } = caller
        await timeDatabase(c, () => revokeRefreshTokenFamilyById(db, sessionId, callerId))
      }
      clearCookies(c)
      if (fromForm) return c.redirect(LOGGED_OUT_PAGE, 303)
      return c.body(null, 204)
    })
    .openapi(meRoute, async (c) => {
      const identity = currentIdentity(c)
      const id = builtInUserId(identity)
      const user = id === undefined ? undefined : await timeDatabase(c, () => findUserById(db, id))
      return c.json(
        { userId: identity.userId, role: identity.role, user: user ? toUserResponse(user) : null },
        200,
      )
    })
}
