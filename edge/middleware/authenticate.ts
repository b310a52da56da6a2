/** Authentication middleware: verifies the caller's token itself, whatever `middleware.ts` did or did not do. */
import type { Context, MiddlewareHandler } from 'hono'
import { identifyCaller, mayPassWithoutSession } from '../auth/gate'
import type { Identity, TokenService } from '../auth/tokens'
import type { AppEnv } from '../context'
import { problems } from '../problem'
import { rawPathname } from '../request-line'
import { inSpan } from './trace'

export interface AuthenticateOptions {
  /** Verifies access tokens (our HS256 secrets and/or the identity provider's JWKS). */
  tokens: TokenService
  /** CORS is configured, so preflights pass without a session (the CORS middleware answers them). */
  corsEnabled: boolean
}

/**
 * Sets `identity` from a valid Bearer token or session cookie, or answers 401 unless the path is public. The same
 * rule as `middleware.ts` (edge/auth/gate.ts), applied again: identity headers are never read, so a request that
 * reached the app without the middleware (another runtime, a misconfigured matcher, a bypass) is held to it too.
 */
export function authenticate({ tokens, corsEnabled }: AuthenticateOptions): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const { identity, refused } = await identifyCaller(c.req.raw, tracedTokens(c, tokens))
    // The raw pathname, not Hono's decoded one: the public list is matched exactly as the edge middleware sees it.
    if (
      !identity &&
      !mayPassWithoutSession(rawPathname(c.req.url), c.req.method, c.req.raw.headers, { corsEnabled })
    ) {
      throw problems.unauthorized(refused)
    }
    c.set('identity', identity)
    await next()
  }
}

/** The token service, its verification a span of the request when the request is traced (and only then). */
function tracedTokens(c: Context<AppEnv>, tokens: TokenService): TokenService {
  if (!c.get('tracing')?.span.context.sampled) return tokens
  return {
    ...tokens,
    verifyAccessToken: (token) => inSpan(c, 'verify access token', () => tokens.verifyAccessToken(token)),
  }
}

/** The caller of a protected route (the middleware guarantees one; the check keeps the types honest). */
export function currentIdentity(c: Context<AppEnv>): Identity {
  const identity = c.get('identity')
  if (!identity) throw problems.unauthorized(false)
  return identity
}
