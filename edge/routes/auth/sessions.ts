/** Sessions: log-in, refresh, a browser's session renewal (resume) and log-out. */
import type { Context } from 'hono'
import { setCookie } from 'hono/cookie'
import * as z from 'zod'
import {
  revokeRefreshTokenFamily,
  revokeRefreshTokenFamilyById,
  startSession,
} from '../../../db/queries/accounts'
import { builtInUserId } from '../../auth/built-in-user'
import { REFRESH_COOKIE_PATH, readCookie } from '../../auth/credentials'
import { logInThenReturnTo } from '../../auth/gate'
import { loginBuckets } from '../../auth/login-throttle'
import { decoyHash, hashPassword, needsRehash, verifyPassword } from '../../auth/password'
import { hashRefreshToken, isWellFormedRefreshToken } from '../../auth/refresh-tokens'
import type { AppEnv } from '../../context'
import { timeDatabase } from '../../middleware/server-timing'
import { inSpan } from '../../middleware/trace'
import { documented, onlyInDocs } from '../../openapi'
import { Problem, problems } from '../../problem'
import { createRoute, createRouter } from '../../router'
import { isFormPost, isSameOrigin, sameSitePath } from '../../same-origin'
import {
  LoginSchema,
  RefreshedSessionSchema,
  RefreshTokenBodySchema,
  SessionSchema,
} from '../../schemas/auth'
import { problemResponse } from '../../schemas/problem'
import { toUserResponse } from '../../user-response'
import {
  type AuthDependencies,
  canSign,
  clearCookies,
  cookieBasics,
  countAttempt,
  issueTokens,
  json,
  newRefresh,
  presentedRefreshToken,
  refreshCookieOf,
  rotateSession,
} from './session-kit'

/** Marks one retry of a session renewal that lost a race with another tab (see the resume route). */
const RESUME_RETRY_COOKIE = 'edgeline_resume_retry'

/** Where a log-out form post lands. */
const LOGGED_OUT_PAGE = '/login?logged-out'

const loginRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'logIn',
      tag: 'Authentication',
      summary: 'Log in',
      description:
        'Starts a session for an email and password: the tokens in the body, and as cookies for browsers. An ' +
        'unknown email and a wrong password get the same 401; too many failures for an email or a client, 429. Public.',
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/login',
  request: { body: { required: true, content: json(LoginSchema) } },
  ...onlyInDocs(() => ({
    responses: {
      200: { description: 'A new session; cookies are set too', content: json(SessionSchema) },
      401: problemResponse('The email or the password is wrong (the same answer for both)'),
      422: problemResponse('Invalid fields'),
      429: problemResponse('Too many failed log-ins for this email or client; see Retry-After'),
      501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
    },
  })),
})

const refreshRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'refreshSession',
      tag: 'Authentication',
      summary: 'Refresh the session',
      description:
        'Spends a refresh token (from the body, or else the refresh cookie) for a new access token and the next ' +
        'refresh token. A token used again more than 30 seconds after its use revokes its whole session. Public.',
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/refresh',
  request: { body: { required: false, content: json(RefreshTokenBodySchema) } },
  ...onlyInDocs(() => ({
    responses: {
      200: {
        description: 'A new access token and the next refresh token',
        content: json(RefreshedSessionSchema),
      },
      401: problemResponse('The refresh token is unknown, expired, revoked or was already used'),
    },
  })),
})

const resumeRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'resumeSession',
      tag: 'Authentication',
      summary: 'Resume a browser session',
      description:
        'For browsers, not API clients: renews an expired session cookie from the refresh cookie and redirects ' +
        'back to `next` (a path on this site), or to the log-in page: a 303, unless two refresh cookies arrive ' +
        '(one planted by another host?), which is a 400 problem rather than a guess. Public.',
      touchesDatabase: true,
    }),
  ),
  method: 'get',
  path: '/resume',
  request: {
    query: z.object({
      next: z
        .string()
        .optional()
        .meta(onlyInDocs(() => ({ description: 'A path on this site to go back to' }))),
    }),
  },
  ...onlyInDocs(() => ({
    responses: {
      303: {
        description:
          'For browsers: a page visit whose 15-minute session cookie has expired is sent here by the middleware. ' +
          'With a valid refresh cookie, the session is renewed (new cookies) and the browser goes back to `next`; ' +
          'otherwise to the log-in page, which brings it back after logging in',
      },
    },
  })),
})

const logoutRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'logOut',
      tag: 'Authentication',
      summary: 'Log out',
      description:
        'Ends a session (the refresh token sent, or the refresh cookie, or else the session the access token ' +
        'names) and clears the cookies. Takes an HTML form post from this site too. Public: an expired session ' +
        'can still be ended.',
      touchesDatabase: true,
    }),
  ),
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
  ...onlyInDocs(() => ({
    responses: {
      204: {
        description:
          'The session is revoked (the one of the refresh token sent, or else the one the access token names in ' +
          'its `sid` claim) and the cookies are cleared',
      },
      303: { description: 'The same, for an HTML form post from this site: on to the log-in page' },
      403: problemResponse('An HTML form post from another site (CSRF)'),
    },
  })),
})

/**
 * The refresh token whose session a log-out ends. Two refresh cookies (one planted?) are used for nothing, as
 * everywhere, but log-out still runs (decision 0019): it ends the session the access token names, if any, and
 * clears this browser's cookies, after which a planted one left behind has no session id to go with.
 */
function refreshTokenToEnd(c: Context<AppEnv>, body: { refreshToken?: string }): string | undefined {
  try {
    return presentedRefreshToken(c, body).token
  } catch (error) {
    if (error instanceof Problem && error.slug === 'ambiguous-cookies') return undefined
    throw error
  }
}

export function sessionRoutes(deps: AuthDependencies) {
  const { db, config } = deps
  return createRouter()
    .openapi(loginRoute, async (c) => {
      if (!canSign(config)) throw problems.accountsDisabled()
      const { email, password } = c.req.valid('json')
      const buckets = await loginBuckets(email, c.req.raw.headers)
      const { account, retryAfterSeconds } = await countAttempt(deps, c, email, buckets)
      // Refused before the password is even checked, so a locked-out guess learns nothing.
      if (retryAfterSeconds !== undefined) throw problems.tooManyLoginAttempts(retryAfterSeconds)
      // An unknown email, or an account without a password, costs the same hashing time as a wrong password.
      const stored = account?.passwordHash ?? (await decoyHash())
      const valid =
        (await inSpan(c, 'verify password', () => verifyPassword(password, stored))) &&
        account?.passwordHash != null
      if (!account || !valid) throw problems.invalidCredentials()

      const refresh = await newRefresh(config)
      const upgradedPasswordHash = needsRehash(stored)
        ? await inSpan(c, 'hash password', () => hashPassword(password))
        : undefined
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
      const session = await issueTokens(deps, c, identity, refresh.token, refresh.stored.familyId)
      return c.json({ user: toUserResponse(user), ...session }, 200)
    })
    .openapi(refreshRoute, async (c) => {
      const presented = presentedRefreshToken(c, c.req.valid('json'))
      const rotated = await rotateSession(deps, c, presented.token, presented.fromCookie)
      if (rotated.status !== 'rotated') throw problems.invalidRefreshToken()
      return c.json({ ...rotated.identity, ...rotated.session }, 200)
    })
    .openapi(resumeRoute, async (c) => {
      const next = sameSitePath(c.req.valid('query').next)
      const toLogin = logInThenReturnTo(next)
      // Never cached: each answer either carries new tokens or depends on the cookies sent.
      c.header('Cache-Control', 'no-store')
      // Two refresh cookies (one planted by a sibling subdomain?) are a 400 problem here too: never a guess.
      const rotated = await rotateSession(deps, c, refreshCookieOf(c), true)
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
      const presented = refreshTokenToEnd(c, fromForm ? {} : c.req.valid('json'))
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
}
