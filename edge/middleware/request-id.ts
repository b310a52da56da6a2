/** Request-id middleware: every request gets an id (the caller's, when safe to echo), on the context and the answer. */
import type { MiddlewareHandler } from 'hono'
import { requestIdOf } from '../auth/gate'
import type { AppEnv } from '../context'

/**
 * Sets `requestId` and the `X-Request-Id` response header: the caller's `X-Request-Id` when it is short and plain
 * (Hono's `requestId()` rule, which `middleware.ts` applies too, see `requestIdOf`), else a new UUID. Hono's own
 * middleware does the same but awaits the rest of the chain for nothing: a promise more on every request.
 */
export function requestId(): MiddlewareHandler<AppEnv> {
  return function requestId(c, next) {
    const id = requestIdOf(c.req.raw.headers)
    c.set('requestId', id)
    c.header('X-Request-Id', id)
    return next()
  }
}
