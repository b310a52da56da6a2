/** Whether a browser request comes from a page of this site (the CSRF check), and where it may be sent next. */

/**
 * True when the request's `Origin` names the host the browser addressed. (The Host header, not `request.url`:
 * behind `next start` or a proxy the URL may carry another host name for the same site. A page of another site
 * can forge neither header in a cross-site form post, and a request without `Origin` is refused.)
 */
export function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get('origin')
  if (origin === null) return false
  const host = request.headers.get('host') ?? new URL(request.url).host
  try {
    return new URL(origin).host === host
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
