/** Whether a browser request comes from a page of this site (the CSRF check), and where it may be sent next. */

/**
 * True when the request's `Origin` is this site's whole origin: the scheme the browser used and the host it
 * addressed. (The Host header, not `request.url`: behind `next start` or a proxy the URL may carry another host name
 * for the same site. The scheme is the request's own, or `https` when a proxy that ended TLS says so in
 * `X-Forwarded-Proto`, as for Secure cookies. A page of another site can forge none of these in a cross-site form
 * post, and a request without `Origin` is refused.) `https://site` posting to `http://site` is another origin
 * (RFC 6454): a page served over https elsewhere on the same host name is not ours.
 */
export function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get('origin')
  if (origin === null) return false
  const url = new URL(request.url)
  const host = request.headers.get('host') ?? url.host
  const forwardedProto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase()
  const scheme = forwardedProto === 'https' ? 'https:' : url.protocol
  try {
    const claimed = new URL(origin)
    // `new URL` drops a default port (`:443` for https, `:80` for http) from the origin; Host may carry it.
    return claimed.protocol === scheme && claimed.host === new URL(`${scheme}//${host}`).host
  } catch {
    return false
  }
}

/** True for the body types an HTML form sends. */
export function isFormPost(contentType: string | undefined | null): boolean {
  return /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType ?? '')
}

/** Where to go after a form: only a path on this site, never `//host`, `/\host` or a full URL (open redirect). */
export function sameSitePath(next: FormDataEntryValue | string | null | undefined, fallback = '/'): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) {
    return fallback
  }
  try {
    // Resolving against a dummy origin catches anything that would leave it (e.g. control characters tricks).
    const url = new URL(next, 'http://same.site')
    const path = `${url.pathname}${url.search}${url.hash}`
    // Check the resolved path again: `/..//evil.example` resolves to `//evil.example`, a host once echoed back.
    return url.origin === 'http://same.site' && !path.startsWith('//') ? path : fallback
  } catch {
    return fallback
  }
}
