/**
 * What the production server (and `next start`, through instrumentation.ts) does with a request's target and Host
 * before anything routes it: an absolute-form target becomes the path it carries, on our own origin, and a Host
 * that names no host is refused (RFC 9112 §3.2).
 */

/** `http://any.host:1/path?q` (RFC 9112 §3.2.2, absolute-form): the scheme and authority a client put before the path. */
const ABSOLUTE_FORM_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/

/**
 * The origin-form of a request target: `http://evil.example/api/users?x` becomes `/api/users?x`, served as that
 * path on our own origin (the Host header stays what it was). Routing an absolute target as it stands made Next
 * answer `308 Location: http://evil.example/…` (its repeated-slash redirect), a redirect to a host the client
 * named. Origin-form (`/…`), asterisk-form (`*`) and anything else are returned unchanged.
 */
export function originFormOf(target: string): string {
  if (target.startsWith('/')) return target
  const prefix = ABSOLUTE_FORM_PREFIX.exec(target)
  if (!prefix) return target
  const rest = target.slice(prefix[0].length)
  return rest.startsWith('/') ? rest : `/${rest}`
}

/**
 * A Host value (RFC 9110 §7.2): a registered name, an IPv4 address or a bracketed IP literal, then an optional
 * port; no user info, path, space or anything else a URL would read as more than a host.
 */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d{1,5})?$/

/** What is wrong with a request's Host header field, if anything: none, more than one, or not a host. */
export function hostFault(rawHeaders: readonly string[]): 'missing' | 'repeated' | 'malformed' | undefined {
  const values: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === 'host') values.push(rawHeaders[i + 1] as string)
  }
  if (values.length === 0) return 'missing'
  if (values.length > 1) return 'repeated'
  const host = values[0] as string
  if (!HOST_VALUE.test(host)) return 'malformed'
  try {
    new URL(`http://${host}/`)
    return undefined
  } catch {
    return 'malformed'
  }
}
