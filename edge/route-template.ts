/** The route template a request matched (`/api/users/:id`): what traces and metrics group by, never the raw path. */
import type { Context } from 'hono'
import { matchedRoutes } from 'hono/route'

/** The route as registered; middleware (registered for every method) is not one. Undefined for a 404. */
export function routeTemplate(c: Context): string | undefined {
  return matchedRoutes(c).findLast((route) => route.method !== 'ALL')?.path
}
