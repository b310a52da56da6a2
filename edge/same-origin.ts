/** Whether a browser request comes from a page of this site: the CSRF check of every form post. */

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
