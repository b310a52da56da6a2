/** The one list of paths anyone may request without a session; `middleware.ts` and the Hono app both use it. */

/**
 * Matched exactly, method-agnostic (the routes decide which methods exist). Anything not listed needs a valid
 * token: deny by default, so a new route is protected until someone adds it here on purpose.
 */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set([
  '/',
  '/login',
  '/signup',
  '/login/submit',
  '/signup/submit',
  // The page forms' handlers act only through the API, which checks the session cookie itself; past the gate, a
  // signed-out post gets a 303 to the log-in page instead of a redirect that would re-post to it.
  '/users/submit',
  '/account/submit',
  // The emailed links' pages and their forms: whoever holds the link is not signed in (yet).
  '/forgot-password',
  '/forgot-password/submit',
  '/reset-password',
  '/reset-password/submit',
  '/verify-email',
  '/verify-email/submit',
  // Static files from public/, asked for by browsers and crawlers without a session.
  '/favicon.ico',
  '/robots.txt',
  '/api/hello',
  '/api/health',
  '/api/auth/signup',
  '/api/auth/login',
  '/api/auth/refresh',
  '/api/auth/logout',
  '/api/auth/resume',
  '/api/auth/password-reset',
  '/api/auth/password-reset/confirm',
  '/api/auth/email/confirm',
  // Vercel Cron's call: it carries its own secret (CRON_SECRET), checked by the route.
  '/api/mail/flush',
  '/api/openapi.json',
  '/api/docs',
])

/**
 * Next's build output (hashed static files, image optimiser), whose names are generated, and `public/vendor/`: the
 * third-party browser bundles we serve ourselves (the API reference at /api/docs loads Scalar's from there).
 */
const PUBLIC_PREFIXES = ['/_next/static/', '/_next/image', '/vendor/']

/**
 * Encoded separators and dots, backslashes and empty segments: a path using them could be read differently by the
 * router behind us (`/api/hello%2F..%2Fusers`), so it never counts as public, whatever it starts with.
 */
const AMBIGUOUS = /%2f|%5c|%2e|\\|\/\/|\/\.\.?(\/|$)/i

/**
 * True when `pathname` (a URL's pathname as the WHATWG parser leaves it: dot segments already resolved, nothing
 * decoded) is public. Case-sensitive, no trailing-slash folding: `/api/Hello` and `/api/hello/` need a session.
 */
export function isPublicPath(pathname: string): boolean {
  if (AMBIGUOUS.test(pathname)) return false
  if (PUBLIC_PATHS.has(pathname)) return true
  return PUBLIC_PREFIXES.some((prefix) => pathname.startsWith(prefix))
}

/** The files of `public/` outside its prefixes (the API's docs are built there), each also in PUBLIC_PATHS. */
const ROOT_STATIC_FILES: ReadonlySet<string> = new Set([
  '/favicon.ico',
  '/robots.txt',
  '/api/openapi.json',
  '/api/docs',
])

/**
 * True for the static files among the public paths (Next's build output, `public/`): only GET and HEAD read them.
 * Next answers any other method on one with a 500 (it fails to render its own 405 page), so we answer first.
 */
export function isStaticFilePath(pathname: string): boolean {
  if (ROOT_STATIC_FILES.has(pathname)) return true
  return !AMBIGUOUS.test(pathname) && PUBLIC_PREFIXES.some((prefix) => pathname.startsWith(prefix))
}

/** True for the API (problem+json and 401), false for pages (redirect to the log-in page). */
export function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/')
}
