/** The perimeter rule, shared by `middleware.ts` and the Hono app: who is calling, and may they pass without a session. */
import { Problem, problemResponse, problems } from '../problem'
import { requestLineProblem } from '../request-line'
import { readCredential, setIdentityHeaders, withoutIdentityHeaders } from './credentials'
import { isApiPath, isPublicPath, isStaticFilePath } from './public-paths'
import type { Identity, TokenVerifier } from './token-verifier'

export const LOGIN_PAGE = '/login'

/** The log-in page, which sends the browser back to `next` (a path on this site) once logged in. */
export function logInThenReturnTo(next: string): string {
  return `${LOGIN_PAGE}?next=${encodeURIComponent(next)}`
}
/**
 * Where a page visit without a valid session goes first: the refresh cookie (Path=/api/auth) reaches only the auth
 * routes, so this one renews the session and sends the browser back, or on to the log-in page.
 */
export const RESUME_SESSION = '/api/auth/resume'

export interface Caller {
  /** The verified identity; undefined without a token or when the token was refused. */
  identity: Identity | undefined
  /** A token was sent and refused (a 401 then says `error="invalid_token"`). */
  refused: boolean
}

/**
 * Verifies the request's Bearer token or session cookie. Never reads identity headers; never touches the database.
 * Two session cookies throw `/problems/ambiguous-cookies`.
 */
export async function identifyCaller(request: Request, tokens: TokenVerifier): Promise<Caller> {
  const credential = readCredential(request)
  if (credential.source === 'none') return { identity: undefined, refused: false }
  try {
    return { identity: await tokens.verifyAccessToken(credential.token), refused: false }
  } catch {
    return { identity: undefined, refused: true }
  }
}

/** What the perimeter needs to know beyond tokens. */
export interface GateOptions {
  /** CORS is configured (CORS_ORIGINS): preflights then pass without a session, and the CORS middleware answers. */
  corsEnabled: boolean
  /**
   * Host names this server answers (the Host header, port ignored; `*.x` matches subdomains), or undefined for
   * any. Set in development only: a page on a DNS-rebinding name must not reach `next dev`'s API.
   */
  allowedHosts?: readonly string[]
}

/**
 * Public paths, and CORS preflights when CORS is on: browsers send those without credentials by design, and they
 * get no data from any route. Only a real preflight (Origin and Access-Control-Request-Method) passes, and only
 * when the CORS middleware will answer it: otherwise OPTIONS without a session would tell anyone which routes
 * exist (405 + Allow against 404).
 */
export function mayPassWithoutSession(
  pathname: string,
  method: string,
  headers: Headers,
  options: Pick<GateOptions, 'corsEnabled'>,
): boolean {
  return isPublicPath(pathname) || (options.corsEnabled && isCorsPreflight(method, headers))
}

/** True when `allowedHosts` is unset, or names the request's Host (its host name, without the port). */
export function isAllowedHost(
  hostHeader: string | null,
  allowedHosts: readonly string[] | undefined,
): boolean {
  if (!allowedHosts) return true
  if (!hostHeader) return false
  const bracketed = /^\[([^\]]+)\]/.exec(hostHeader)
  const host = (bracketed ? `[${bracketed[1]}]` : hostHeader.replace(/:\d+$/, '')).toLowerCase()
  return allowedHosts.some((allowed) =>
    allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed.toLowerCase(),
  )
}

function isCorsPreflight(method: string, headers: Headers): boolean {
  return method === 'OPTIONS' && headers.has('origin') && headers.has('access-control-request-method')
}

export type GateDecision =
  /** Forward the request with these headers (client identity headers removed, verified ones added). */
  | { action: 'continue'; requestHeaders: Headers; identity: Identity | undefined }
  /** A page without a session: send the browser to the log-in page (a path relative to the site). */
  | { action: 'redirect'; location: string }
  /**
   * Answer it here, the function behind never runs: an API request without a valid token, or a request no route
   * could answer (a method we do not implement, a path that does not decode).
   */
  | { action: 'respond'; response: Response }

/** Builds the check `middleware.ts` runs, once per isolate, so the token service (and its cached JWKS) is reused. */
export function createEdgeGate(tokens: TokenVerifier, options: GateOptions) {
  return async function checkRequest(request: Request): Promise<GateDecision> {
    if (!isAllowedHost(request.headers.get('host'), options.allowedHosts)) {
      const refusal = `This development server answers only ${options.allowedHosts?.join(', ')} (a guard against DNS rebinding); add a host name to DEV_ALLOWED_HOSTS to allow it.`
      return { action: 'respond', response: new Response(refusal, { status: 403 }) }
    }
    const { pathname, search } = new URL(request.url)
    // Answered here, because behind us Next would: an empty 400 for a method its routes do not dispatch, a 500
    // for a path its router cannot decode, a 500 for a write to a static file. None depends on who is asking.
    const malformed =
      requestLineProblem(request.method, pathname) ?? staticFileProblem(request.method, pathname)
    if (malformed) {
      const where = { instance: pathname, requestId: requestIdOf(request.headers) }
      return { action: 'respond', response: problemResponse(malformed, where) }
    }
    // First of what passes: whatever happens next, no client-sent identity header travels further.
    const requestHeaders = withoutIdentityHeaders(request.headers)
    let caller: Caller
    try {
      caller = await identifyCaller(request, tokens)
    } catch (problem) {
      // Two session cookies (one planted?): refused, pages included, rather than guessing which is ours.
      if (!(problem instanceof Problem)) throw problem
      const where = { instance: pathname, requestId: requestIdOf(request.headers) }
      return { action: 'respond', response: problemResponse(problem, where) }
    }
    const { identity, refused } = caller
    if (identity) setIdentityHeaders(requestHeaders, identity)
    if (identity || mayPassWithoutSession(pathname, request.method, request.headers, options)) {
      return { action: 'continue', requestHeaders, identity }
    }
    if (!isApiPath(pathname)) {
      return {
        action: 'redirect',
        location: `${RESUME_SESSION}?next=${encodeURIComponent(pathname + search)}`,
      }
    }
    const where = { instance: pathname, requestId: requestIdOf(request.headers) }
    return { action: 'respond', response: problemResponse(problems.unauthorized(refused), where) }
  }
}

/** A method that does not read a static file, on one: Next would fail to render its 405 page and answer 500. */
function staticFileProblem(method: string, pathname: string) {
  if (!isStaticFilePath(pathname) || method === 'GET' || method === 'HEAD') return undefined
  return problems.methodNotAllowed(method, ['GET', 'HEAD'])
}

/** The caller's request id when it is safe to echo (the rule of Hono's request-id middleware), else a new one. */
export function requestIdOf(headers: Headers): string {
  const incoming = headers.get('x-request-id')
  return incoming && incoming.length <= 255 && /^[\w\-=]+$/.test(incoming) ? incoming : crypto.randomUUID()
}
