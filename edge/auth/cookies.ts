/** Our cookies' names per request (prefixed wherever browsers allow it), read so a planted twin is refused. */
import { problems } from '../problem'

/** The cookies of a session, and whether they are `Secure`; see `cookieNamesFor` and decision 0034. */
export interface CookieNames {
  session: string
  refresh: string
  /**
   * The session (refresh-token family) id the browser's refresh cookie belongs to, set beside it: a refresh cookie
   * is spent only for that session. `__Host-`, so no other host can plant a matching pair.
   */
  sessionId: string
  secure: boolean
}

/**
 * Over https and on a loopback host: `__Host-` for the access token and the session id (Secure, Path=/, no Domain:
 * no other host, a sibling subdomain included, can set or shadow them) and `__Secure-` for the refresh token, whose
 * Path=/api/auth rules `__Host-` out; the session id cookie binds it (decision 0034).
 */
export const PREFIXED_COOKIES: CookieNames = {
  session: '__Host-edgeline_session',
  refresh: '__Secure-edgeline_refresh',
  sessionId: '__Host-edgeline_sid',
  secure: true,
}

/** Plain http on any other host (a LAN address in development): browsers would drop Secure cookies there. */
export const PLAIN_HTTP_COOKIES: CookieNames = {
  session: 'edgeline_session',
  refresh: 'edgeline_refresh',
  sessionId: 'edgeline_sid',
  secure: false,
}

/**
 * The names a request's cookies go by. https is the request's own scheme or `X-Forwarded-Proto: https` (from a
 * proxy ending TLS; the production server keeps it only from a proxy TRUST_PROXY trusts). Loopback is the host the
 * browser addressed (the Host header): Chromium and Firefox take `localhost`, `*.localhost`, 127.0.0.0/8 and
 * [::1] as secure for cookies, so development uses production's names. Each context reads only its own names.
 */
export function cookieNamesFor(url: string, headers: Headers): CookieNames {
  const viaProxy = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase()
  if (viaProxy === 'https' || url.startsWith('https:')) return PREFIXED_COOKIES
  const host = (headers.get('host') ?? new URL(url).host).toLowerCase().replace(/:\d+$/, '')
  const loopback = /^(localhost|.+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(host)
  return loopback ? PREFIXED_COOKIES : PLAIN_HTTP_COOKIES
}

/**
 * One cookie's value from the Cookie header, or undefined (absent or empty). Sent twice, it is a problem, never a
 * guess: a browser sends a twin when another host under the same domain planted one (cookie tossing), and which is
 * ours cannot be told.
 */
export function readCookie(headers: Headers, name: string): string | undefined {
  const values = (headers.get('cookie') ?? '')
    .split(';')
    .map((pair) => pair.split('='))
    .filter((pair) => pair.length > 1 && pair[0]?.trim() === name)
  if (values.length > 1) throw problems.ambiguousCookies(name)
  return values[0]?.slice(1).join('=').trim() || undefined
}
