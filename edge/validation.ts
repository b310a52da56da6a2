/** Turns zod validation failures from any route into problems: 422 for bodies, 400 for the path and query string. */
import type { OpenAPIHonoOptions } from '@hono/zod-openapi'
import type { ZodError } from 'zod'
import type { AppEnv } from './context'
import { type BoundedFieldErrors, type FieldError, MAX_FIELD_ERRORS, type Problem, problems } from './problem'

const LOCATIONS: Record<string, FieldError['in']> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
}

/** What an unknown field of a strict body is told: most are typos of a field that exists. */
export const UNKNOWN_FIELD_DETAIL = 'is not a field of this request; check its spelling'

/** A field name the client sent (an unknown key) is echoed back at most this long (in UTF-16 code units). */
export const MAX_ECHOED_FIELD_LENGTH = 100

function fieldErrors(issues: ZodError['issues'], location: FieldError['in']): BoundedFieldErrors {
  const errors: FieldError[] = []
  let total = 0
  for (const issue of issues) {
    // A strict object reports all its unknown keys in one issue at the object: one error per key, each at its own
    // path, so a client can show each beside the field it sent (PostgREST names an unknown column the same way).
    // Only the first few are built: the rest are counted, never turned into objects.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : undefined
    const count = keys ? keys.length : 1
    for (let i = 0; i < count && errors.length < MAX_FIELD_ERRORS; i++) {
      errors.push(
        keys
          ? fieldError([...issue.path, keys[i] as string], UNKNOWN_FIELD_DETAIL, location)
          : fieldError(issue.path, issue.message, location),
      )
    }
    total += count
  }
  return { errors, omitted: total - errors.length }
}

function fieldError(at: PropertyKey[], detail: string, location: FieldError['in']): FieldError {
  const path = at.map(String)
  // A key the client chose may be a megabyte long: echo its start only, and point at it only when whole.
  const shortened = path.some((key) => key.length > MAX_ECHOED_FIELD_LENGTH)
  const shown = path.map((key) =>
    key.length > MAX_ECHOED_FIELD_LENGTH ? `${key.slice(0, MAX_ECHOED_FIELD_LENGTH)}…` : key,
  )
  return {
    field: shown.length > 0 ? shown.join('.') : '(root)',
    in: location,
    detail,
    // A JSON Pointer (RFC 6901) escapes `~` and `/` in a key: an unknown key is whatever the client sent.
    ...(location === 'body' && !shortened
      ? { pointer: `#/${path.map((key) => key.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}` }
      : {}),
  }
}

/** A query string that fails its schema, as the API answers it (400): for a page that validates the same query. */
export function queryProblem(issues: ZodError['issues']): Problem {
  return problems.invalidParameters(fieldErrors(issues, 'query'))
}

/**
 * The default hook of every router: a well-formed body with bad values is unprocessable (422), while a bad id or
 * query parameter makes the request itself wrong (400). Throwing hands the problem to the app's error handler.
 */
export const validationHook: NonNullable<OpenAPIHonoOptions<AppEnv>['defaultHook']> = (result) => {
  if (result.success) return
  const location = LOCATIONS[result.target] ?? 'body'
  const errors = fieldErrors(result.error.issues, location)
  throw location === 'body' ? problems.validationFailed(errors) : problems.invalidParameters(errors)
}
