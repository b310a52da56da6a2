/**
 * Plain HTML form posts for the log-in and sign-up pages, so they work without JavaScript: the form's fields go to
 * the same Hono routes as the JSON API (in-process), and the browser gets a 303 to where it should go next.
 * Server Actions are not used for this: on the edge runtime a no-JS action that redirects answers 500 (Next 16.4).
 */

/** Anything that answers requests as the Hono app does (`app.request`). */
export interface InProcessApi {
  request(path: string, init?: RequestInit): Response | Promise<Response>
}

/** Where to go after signing in: only a path on this site, never `//host`, `/\host` or a full URL (open redirect). */
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

/**
 * A browser form from another site must not sign anyone in or up (login CSRF): its Origin must name the host the
 * browser addressed. (The Host header, not `request.url`: behind `next start` or a proxy the URL may carry another
 * host name for the same site. A page cannot forge either header in a cross-site form post.)
 */
function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get('origin')
  if (origin === null) return false
  const host = request.headers.get('host') ?? new URL(request.url).host
  try {
    return new URL(origin).host === host
  } catch {
    return false
  }
}

type AuthForm = 'login' | 'signup'

const FIELDS: Record<AuthForm, readonly string[]> = {
  login: ['email', 'password'],
  signup: ['name', 'email', 'password'],
}

/**
 * Handles `POST /login/submit` or `POST /signup/submit`: success sets the session cookies the API set and sends the
 * browser to `next`; failure sends it back to the form with the problem's detail and field errors in the query.
 */
export async function submitAuthForm(api: InProcessApi, form: AuthForm, request: Request): Promise<Response> {
  if (!isSameOrigin(request)) return new Response('Cross-site form posts are refused.', { status: 403 })
  const data = await request.formData().catch(() => new FormData())
  const next = sameSitePath(data.get('next'))
  const body = Object.fromEntries(FIELDS[form].map((field) => [field, String(data.get(field) ?? '')]))
  // The absolute URL, so the API sees the scheme the browser used (Secure cookies over https).
  const answer = await api.request(new URL(`/api/auth/${form}`, request.url).href, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...forwardedClientHeaders(request) },
    body: JSON.stringify(body),
  })
  if (answer.ok) return seeOther(new URL(next, request.url), answer.headers.getSetCookie())

  const problem = (await answer.json().catch(() => ({}))) as {
    detail?: string
    errors?: { field: string; detail: string }[]
  }
  const back = new URL(`/${form}`, request.url)
  back.searchParams.set('next', next)
  back.searchParams.set('error', problem.detail ?? 'Something went wrong; try again.')
  for (const error of problem.errors ?? []) back.searchParams.set(`field.${error.field}`, error.detail)
  // Keep what was typed, except the password.
  for (const field of FIELDS[form]) {
    if (field !== 'password' && body[field]) back.searchParams.set(field, body[field] as string)
  }
  return seeOther(back, [])
}

/** The client address headers the log-in throttle reads, passed on as the browser sent them. */
function forwardedClientHeaders(request: Request): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const name of ['x-forwarded-for', 'x-real-ip']) {
    const value = request.headers.get(name)
    if (value) headers[name] = value
  }
  return headers
}

function seeOther(location: URL, cookies: string[]): Response {
  const headers = new Headers({ location: `${location.pathname}${location.search}${location.hash}` })
  for (const cookie of cookies) headers.append('set-cookie', cookie)
  return new Response(null, { status: 303, headers })
}
