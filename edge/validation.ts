/** Turns zod validation failures from any route into problems: 422 for bodies, 400 for the path and query string. */
import type { OpenAPIHonoOptions } from '@hono/zod-openapi'
import type { ZodError } from 'zod'
import type { AppEnv } from './context'
import { type FieldError, type Problem, problems } from './problem'

const LOCATIONS: Record<string, FieldError['in']> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
}

/** What an unknown field of a strict body is told: most are typos of a field that exists. */
export const UNKNOWN_FIELD_DETAIL = 'is not a field of this request; check its spelling'

function fieldErrors(issues: ZodError['issues'], location: FieldError['in']): FieldError[] {
  return issues.flatMap((issue) =>
    // A strict object reports all its unknown keys in one issue at the object: one error per key, each at its own
    // path, so a client can show each beside the field it sent (PostgREST names an unknown column the same way).
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => fieldError([...issue.path, key], UNKNOWN_FIELD_DETAIL, location))
      : [fieldError(issue.path, issue.message, location)],
  )
}

function fieldError(at: PropertyKey[], detail: string, location: FieldError['in']): FieldError {
  const path = at.map(String)
  return {
    field: path.length > 0 ? path.join('.') : '(root)',
    in: location,
    detail,
    // A JSON Pointer (RFC 6901) escapes `~` and `/` in a key: an unknown key is whatever the client sent.
    ...(location === 'body'
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
