/** Turns zod validation failures from any route into problems: 422 for bodies, 400 for the path and query string. */
import type { OpenAPIHonoOptions } from '@hono/zod-openapi'
import type { ZodError } from 'zod'
import type { AppEnv } from './context'
import { type FieldError, problems } from './problem'

const LOCATIONS: Record<string, FieldError['in']> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
}

function fieldErrors(issues: ZodError['issues'], location: FieldError['in']): FieldError[] {
  return issues.map((issue) => {
    const path = issue.path.map(String)
    return {
      field: path.length > 0 ? path.join('.') : '(root)',
      in: location,
      detail: issue.message,
      ...(location === 'body' ? { pointer: `#/${path.join('/')}` } : {}),
    }
  })
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
