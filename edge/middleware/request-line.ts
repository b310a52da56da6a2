/** Request-line middleware: a method we do not implement is a 501 problem, a path that does not decode a 400. */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../context'
import { rawPathname, requestLineProblem } from '../request-line'

/**
 * Refuses, before authentication, what no route could answer: the rule `middleware.ts` applies first (see
 * edge/auth/gate.ts), applied again for runtimes that serve the app without it. The raw pathname is checked,
 * not Hono's decoded path, which leaves a malformed escape as it is.
 */
export function requestLine(): MiddlewareHandler<AppEnv> {
  // Not async: nothing to do after the route, so no promise of its own on every request.
  return function requestLine(c, next) {
    const problem = requestLineProblem(c.req.method, rawPathname(c.req.url))
    if (problem) throw problem
    return next()
  }
}
