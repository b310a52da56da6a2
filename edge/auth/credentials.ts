/** Where a request carries its token (Bearer header or session cookie) and how verified identity is forwarded. */
import { cookieNamesFor, PREFIXED_COOKIES, readCookie } from './cookies'
import type { Identity } from './tokens'

export { readCookie } from './cookies'

/** The access token's cookie name over https (and on localhost): `__Host-`, httpOnly (scripts can never read it). */
export const SESSION_COOKIE = PREFIXED_COOKIES.session
/** The refresh token's cookie name over https; the cookie is scoped to the auth endpoints (Path=/api/auth). */
export const REFRESH_COOKIE = PREFIXED_COOKIES.refresh
export const REFRESH_COOKIE_PATH = '/api/auth'

/** Request headers carrying the identity `middleware.ts` verified, for pages and other Next code behind it. */
export const IDENTITY_HEADERS = { userId: 'x-edgeline-user-id', role: 'x-edgeline-user-role' } as const
/** Every header with this prefix is removed from incoming requests: only the middleware may set them. */
const IDENTITY_HEADER_PREFIX = 'x-edgeline-'

export type Credential = { source: 'none' } | { source: 'bearer' | 'cookie'; token: string }

/**
 * The token of a request. An `Authorization: Bearer` header wins over the cookie (an API client's explicit choice);
 * other schemes are ignored. A Bearer header with nothing usable after it counts as a token sent (and refused).
 * The cookie is read under the request's own name (`cookieNamesFor`); two of them are a problem (thrown).
 */
export function readCredential(request: Request): Credential {
  const authorization = request.headers.get('authorization')
  if (authorization) {
    const match = /^Bearer(?:\s+(.*))?$/i.exec(authorization.trim())
    if (match) return { source: 'bearer', token: (match[1] ?? '').trim() }
  }
  const token = readCookie(request.headers, cookieNamesFor(request.url, request.headers).session)
  return token ? { source: 'cookie', token } : { source: 'none' }
}

/** A copy of `headers` without any identity header a client sent; always applied before anything else. */
export function withoutIdentityHeaders(headers: Headers): Headers {
  const clean = new Headers()
  for (const [name, value] of headers) {
    if (!name.toLowerCase().startsWith(IDENTITY_HEADER_PREFIX)) clean.append(name, value)
  }
  return clean
}

/**
 * The identity `middleware.ts` verified, for pages behind it (undefined without one). Pages read for it (their own
 * account, and what any signed-in caller may list: edge/pages/page-view.ts) but never act on it alone: every write
 * goes through the API, which verifies the session cookie itself.
 */
export function readIdentityHeaders(headers: Headers): Identity | undefined {
  const userId = headers.get(IDENTITY_HEADERS.userId)
  const role = headers.get(IDENTITY_HEADERS.role)
  if (!userId || (role !== 'admin' && role !== 'user')) return undefined
  return { userId, role }
}

/** Adds the verified identity to (already cleaned) request headers. */
export function setIdentityHeaders(headers: Headers, identity: Identity): void {
  headers.set(IDENTITY_HEADERS.userId, identity.userId)
  headers.set(IDENTITY_HEADERS.role, identity.role)
}
