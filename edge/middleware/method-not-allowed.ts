/** Method-not-allowed: a request whose path exists for other methods gets a 405 naming them, not a 404. */
import type { Context, Hono } from 'hono'
import { PatternRouter } from 'hono/router/pattern-router'
import type { AppEnv } from '../context'
import { problems, renderProblem } from '../problem'

/**
 * The app's not-found handler: a 405 problem with `Allow` (the path's methods, in the order its routes were
 * declared, HEAD after GET) when another method would have matched, else `notFound(c)`. Hono's
 * `methodNotAllowed()` middleware gives the same answer, but as a middleware it awaits every request's whole
 * chain to look at the few that found no route; the not-found handler runs for exactly those. (Routes throw their
 * own 404s as problems, which that middleware left alone too.)
 */
export function notFoundOrMethodNotAllowed(
  // biome-ignore lint/suspicious/noExplicitAny: only the run-time route list is read; the app's schema type is irrelevant
  app: Hono<AppEnv, any, any>,
  notFound: (c: Context<AppEnv>) => Response,
): (c: Context<AppEnv>) => Response {
  // Built on first use, once every route is registered.
  let methodsByPath: PatternRouter<string[]> | undefined
  return (c) => {
    methodsByPath ??= routeMethods(app)
    const allowed = new Set<string>()
    for (const [methods] of methodsByPath.match('ALL', c.req.path)[0]) {
      for (const method of methods) allowed.add(method)
    }
    if (allowed.size === 0 || allowed.has(c.req.method)) return notFound(c)
    return renderProblem(c, problems.methodNotAllowed(c.req.method, [...allowed]))
  }
}

// biome-ignore lint/suspicious/noExplicitAny: as above
function routeMethods(app: Hono<AppEnv, any, any>): PatternRouter<string[]> {
  const byPath = new Map<string, Set<string>>()
  for (const route of app.routes) {
    // Middleware (ALL) matches every method; HEAD is implied by GET.
    if (route.method === 'ALL' || route.method === 'HEAD') continue
    const methods = byPath.get(route.path) ?? new Set<string>()
    methods.add(route.method)
    if (route.method === 'GET') methods.add('HEAD')
    byPath.set(route.path, methods)
  }
  const router = new PatternRouter<string[]>()
  for (const [path, methods] of byPath) router.add('ALL', path, [...methods])
  return router
}
