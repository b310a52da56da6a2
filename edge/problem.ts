/** The one error type of the API and its RFC 9457 `application/problem+json` rendering. */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { classifyDatabaseFailure, type DatabaseMisconfiguration, isMisconfiguration } from '../db/errors'
import type { AppEnv } from './context'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** One invalid input value: which field, where it came from, and what is wrong with it. */
export interface FieldError {
  /** Dotted path of the field (`email`, `limit`, `id`); `(root)` for the whole body. */
  field: string
  in: 'body' | 'query' | 'path'
  detail: string
  /** RFC 9457 §3 style JSON Pointer into the request body (body fields only). */
  pointer?: string
}

export interface ProblemInit {
  status: ContentfulStatusCode
  /** Stable identifier; the `type` URI is `/problems/<slug>`. Never change a published slug. */
  slug: string
  title: string
  detail: string
  errors?: FieldError[]
  headers?: Record<string, string>
}

/** Thrown anywhere in a request; the app's error handler renders it. */
export class Problem extends Error {
  readonly status: ContentfulStatusCode
  readonly slug: string
  readonly title: string
  readonly detail: string
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string>

  constructor(init: ProblemInit) {
    super(init.detail)
    this.name = 'Problem'
    this.status = init.status
    this.slug = init.slug
    this.title = init.title
    this.detail = init.detail
    this.errors = init.errors
    this.headers = init.headers ?? {}
  }

  get type(): string {
    return `/problems/${this.slug}`
  }
}

/** What a 503 or 504 of the database asks a client to wait before trying again. */
export const DATABASE_RETRY_AFTER_SECONDS = 2

/** The problems the API can answer with, by name, so slugs and titles live in one place. */
export const problems = {
  notFound: (detail: string) => new Problem({ status: 404, slug: 'not-found', title: 'Not Found', detail }),
  methodNotAllowed: (method: string, allowed: string[]) =>
    new Problem({
      status: 405,
      slug: 'method-not-allowed',
      title: 'Method Not Allowed',
      detail: `${method} is not supported here; use ${allowed.join(', ')}.`,
      headers: { Allow: allowed.join(', ') },
    }),
  /** A method outside IMPLEMENTED_METHODS (edge/request-line.ts): no path here answers it (RFC 9110 §9.1). */
  methodNotImplemented: (method: string) =>
    new Problem({
      status: 501,
      slug: 'method-not-implemented',
      title: 'Method Not Implemented',
      detail: `${method} is not a method this server implements; it answers GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS (each path some of them).`,
    }),
  /** A percent sign in the path that does not start an escape of UTF-8: the path cannot be read at all. */
  malformedPath: () =>
    new Problem({
      status: 400,
      slug: 'malformed-path',
      title: 'Malformed Path',
      detail:
        'The path has a malformed percent-escape (such as %zz, or bytes that are not UTF-8); send a literal % as %25.',
    }),
  invalidParameters: (errors: FieldError[]) =>
    new Problem({
      status: 400,
      slug: 'invalid-parameters',
      title: 'Invalid Parameters',
      detail: 'The path or query string has invalid values; see errors.',
      errors,
    }),
  malformedJson: () =>
    new Problem({
      status: 400,
      slug: 'malformed-json',
      title: 'Malformed JSON',
      detail: 'The request body is not valid JSON.',
    }),
  validationFailed: (errors: FieldError[]) =>
    new Problem({
      status: 422,
      slug: 'validation-failed',
      title: 'Validation Failed',
      detail: 'The request body has invalid fields; see errors.',
      errors,
    }),
  unsupportedMediaType: () =>
    new Problem({
      status: 415,
      slug: 'unsupported-media-type',
      title: 'Unsupported Media Type',
      detail: 'Send the request body as JSON with Content-Type: application/json.',
    }),
  payloadTooLarge: (maxBytes: number) =>
    new Problem({
      status: 413,
      slug: 'payload-too-large',
      title: 'Payload Too Large',
      detail: `The request body exceeds the limit of ${maxBytes} bytes.`,
    }),
  emailTaken: () =>
    new Problem({
      status: 409,
      slug: 'email-taken',
      title: 'Email Already In Use',
      detail: 'Another user already has this email address (emails are compared case-insensitively).',
    }),
  /** No valid token. `tokenSent` adds RFC 6750's `error="invalid_token"`, so clients know to refresh or log in again. */
  unauthorized: (tokenSent: boolean) =>
    new Problem({
      status: 401,
      slug: 'unauthorized',
      title: 'Unauthorized',
      detail: tokenSent
        ? 'The access token is invalid or expired; refresh it or log in again.'
        : 'This endpoint needs a session: send Authorization: Bearer <access token> or the session cookie.',
      headers: { 'WWW-Authenticate': bearerChallenge(tokenSent ? 'invalid_token' : undefined) },
    }),
  forbidden: (detail: string) => new Problem({ status: 403, slug: 'forbidden', title: 'Forbidden', detail }),
  /** The same answer for an unknown email, a wrong password and an account without a password. */
  invalidCredentials: () =>
    new Problem({
      status: 401,
      slug: 'invalid-credentials',
      title: 'Invalid Credentials',
      detail: 'The email or the password is wrong.',
      headers: { 'WWW-Authenticate': bearerChallenge() },
    }),
  /**
   * A signed-in caller's current password is wrong, or the account has none: 422 with a field error, not 401,
   * because the session itself is valid and a client must not take this as "log in again".
   */
  wrongPassword: () =>
    new Problem({
      status: 422,
      slug: 'wrong-password',
      title: 'Wrong Password',
      detail: 'The current password is wrong.',
      errors: [
        {
          field: 'currentPassword',
          in: 'body',
          detail: 'The current password is wrong.',
          pointer: '#/currentPassword',
        },
      ],
    }),
  invalidRefreshToken: () =>
    new Problem({
      status: 401,
      slug: 'invalid-refresh-token',
      title: 'Invalid Refresh Token',
      detail: 'The refresh token is unknown, expired, revoked or already used; log in again.',
      headers: { 'WWW-Authenticate': bearerChallenge('invalid_token') },
    }),
  /**
   * A replayed sign-up (same Idempotency-Key and body) whose account has a new password since: the body's password
   * is no longer the account's, so the replay proves nothing a log-in would accept and starts no session.
   */
  signupCredentialChanged: () =>
    new Problem({
      status: 409,
      slug: 'signup-credential-changed',
      title: 'Sign-up Superseded',
      detail:
        'The account this sign-up created has had its password changed or reset since; a replay of the sign-up ' +
        'starts no session. Log in with the current password.',
    }),
  /**
   * Two cookies of the same name of ours in one request: one may have been planted by another site under the same
   * domain (cookie tossing), and we cannot tell which is ours, so neither is used.
   */
  ambiguousCookies: (name: string) =>
    new Problem({
      status: 400,
      slug: 'ambiguous-cookies',
      title: 'Ambiguous Cookies',
      detail:
        `This request carries more than one ${name} cookie, so none of them is trusted (another site under the ` +
        "same domain may have planted one). Clear this site's cookies and log in again.",
    }),
  tooManyLoginAttempts: (retryAfterSeconds: number) =>
    new Problem({
      status: 429,
      slug: 'too-many-login-attempts',
      title: 'Too Many Login Attempts',
      // The end as a time of day too: a person reading the log-in page cannot see Retry-After.
      detail:
        'Too many failed log-ins for this account or from this client; ' +
        `try again in ${retryAfterSeconds} s, at ${utcTimeOfDay(Date.now() + retryAfterSeconds * 1000)} UTC.`,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
  accountsDisabled: () =>
    new Problem({
      status: 501,
      slug: 'accounts-disabled',
      title: 'Built-in Accounts Disabled',
      detail: 'This deployment verifies tokens of an external identity provider only (no JWT_SECRET is set).',
    }),
  /** Nothing reached Postgres (no connection, refused, out of connections): safe to retry after Retry-After. */
  databaseUnavailable: () =>
    new Problem({
      status: 503,
      slug: 'database-unavailable',
      title: 'Database Unavailable',
      detail: 'The database did not answer; try again shortly.',
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    }),
  /**
   * The database call outlived its deadline (DATABASE_TIMEOUT_MS) and was given up (the statement is cancelled).
   * A write may or may not have been applied: retry it with the same Idempotency-Key, or read before retrying.
   */
  databaseTimeout: () =>
    new Problem({
      status: 504,
      slug: 'database-timeout',
      title: 'Database Timeout',
      detail: 'The database did not answer in time; the request was given up. Try again shortly.',
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    }),
  /**
   * The health check's answer when Postgres refuses the session DATABASE_URL asks for (decision 0022): 503, since
   * the service cannot serve, but no Retry-After, since waiting will not fix it. The detail names the category
   * only: this endpoint is public, and the role and database names are for the operator's log line, not a probe.
   */
  databaseMisconfigured: (misconfiguration: DatabaseMisconfiguration) =>
    new Problem({
      status: 503,
      slug: 'database-misconfigured',
      title: 'Database Misconfigured',
      detail: `${MISCONFIGURATION_DETAILS[misconfiguration]} An operator must fix the setting; the server log has Postgres's own message.`,
    }),
  unstorableText: () =>
    new Problem({
      status: 400,
      slug: 'invalid-text',
      title: 'Invalid Text',
      detail: 'The request contains characters that cannot be stored, such as a NUL (\\u0000).',
    }),
  internalError: () =>
    new Problem({
      status: 500,
      slug: 'internal-error',
      title: 'Internal Server Error',
      detail: 'An unexpected error occurred. Quote the request id when reporting it.',
    }),
  /** If-Match named no current version: someone else changed (or replaced) the resource since the client read it. */
  preconditionFailed: (detail: string) =>
    new Problem({ status: 412, slug: 'precondition-failed', title: 'Precondition Failed', detail }),
  invalidIdempotencyKey: (maxLength: number) =>
    new Problem({
      status: 400,
      slug: 'invalid-idempotency-key',
      title: 'Invalid Idempotency Key',
      detail: `Idempotency-Key must be 1 to ${maxLength} visible ASCII characters (a UUID is a good choice).`,
    }),
  /** The IETF draft's answer when a key comes back with a different request. */
  idempotencyKeyReused: () =>
    new Problem({
      status: 422,
      slug: 'idempotency-key-reused',
      title: 'Idempotency Key Reused',
      detail:
        'This Idempotency-Key was used for a different request in the last 24 hours; use a new key for a new request.',
    }),
  /** The IETF draft's answer when a key comes back while its first request is still being processed. */
  idempotencyKeyInFlight: () =>
    new Problem({
      status: 409,
      slug: 'idempotency-key-in-flight',
      title: 'Request In Progress',
      detail:
        'A request with this Idempotency-Key is still being processed; retry shortly to get its answer.',
      headers: { 'Retry-After': '1' },
    }),
}

/** What the health check says is wrong, per kind of misconfiguration: the category, never a name or a secret. */
const MISCONFIGURATION_DETAILS: Record<DatabaseMisconfiguration, string> = {
  'unknown-database': 'The database named by DATABASE_URL does not exist.',
  'credentials-refused':
    'The database refused the credentials in DATABASE_URL (an unknown role, a wrong password, or a role or host its access rules do not admit).',
  'connect-not-permitted':
    'The role in DATABASE_URL is not permitted to connect to its database (no CONNECT privilege).',
}

/**
 * The problem an error stands for, or undefined for an unexpected error (a bug: the caller logs it and answers
 * 500). Hono's own HTTPExceptions (malformed JSON, 415 from the body validator) are client mistakes; a database
 * that cannot answer, or not in time, is a 503 or 504 (the log line still carries the cause); a DATABASE_URL that
 * Postgres refuses is the deployment's fault, a logged 500 `internal-error` like any other of ours.
 */
export function problemFromError(error: unknown): Problem | undefined {
  if (error instanceof Problem) return error
  if (hasPostgresCode(error, TEXT_POSTGRES_CANNOT_STORE)) return problems.unstorableText()
  const databaseFailure = classifyDatabaseFailure(error)
  // Not a 503: Retry-After would promise that waiting helps. The log line carries Postgres's own message.
  if (isMisconfiguration(databaseFailure)) return problems.internalError()
  if (databaseFailure === 'timeout') return problems.databaseTimeout()
  if (databaseFailure === 'unavailable') return problems.databaseUnavailable()
  if (!(error instanceof HTTPException)) return undefined
  switch (error.status) {
    case 400:
      return problems.malformedJson()
    case 415:
      return problems.unsupportedMediaType()
    default:
      return new Problem({
        status: error.status as ContentfulStatusCode,
        slug: 'http-error',
        title: 'Request Failed',
        detail: error.message || 'The request could not be processed.',
      })
  }
}

/**
 * 22021 character_not_in_repertoire, 22P05 untranslatable_character: text Postgres cannot store, such as a NUL
 * (`\u0000`) in any field or query. The client sent it, so it is their mistake, never a 500.
 */
const TEXT_POSTGRES_CANNOT_STORE = new Set(['22021', '22P05'])

/** True when `error`, or an error in its `cause` chain (drizzle wraps the driver's), has one of `codes`. */
function hasPostgresCode(error: unknown, codes: ReadonlySet<string>): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && codes.has(code)) return true
    current = current.cause
  }
  return false
}

/** The `WWW-Authenticate` value of a 401 (RFC 6750 §3). */
export function bearerChallenge(error?: 'invalid_token'): string {
  return error ? `Bearer realm="edgeline", error="${error}"` : 'Bearer realm="edgeline"'
}

/** The problem+json body: the same shape from the Hono app and from `middleware.ts`. */
export function problemBody(problem: Problem, where: { instance: string; requestId: string }) {
  return {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: where.instance,
    requestId: where.requestId,
    ...(problem.errors ? { errors: problem.errors } : {}),
  }
}

/** A problem as a plain Web `Response`, for code outside the Hono app (the edge middleware). */
export function problemResponse(problem: Problem, where: { instance: string; requestId: string }): Response {
  return new Response(JSON.stringify(problemBody(problem, where)), {
    status: problem.status,
    headers: { ...problem.headers, 'Content-Type': PROBLEM_CONTENT_TYPE, 'X-Request-Id': where.requestId },
  })
}

/** Renders a problem as `application/problem+json`, with the request id so a report can be matched to the log line. */
export function renderProblem(c: Context<AppEnv>, problem: Problem): Response {
  const body = problemBody(problem, { instance: c.req.path, requestId: c.get('requestId') })
  return c.body(JSON.stringify(body), problem.status, {
    ...problem.headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
  })
}

/** `HH:MM:SS` of a moment, in UTC (the server's zone is nobody's in particular). */
function utcTimeOfDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19)
}
