/** Deliver-mail middleware: once a request queued email, sends the outbox after the response, where the runtime allows. */
import type { MiddlewareHandler } from 'hono'
import type { Database } from '../../db/client'
import type { AppEnv } from '../context'
import { type DeliverySettings, flushOutbox } from '../mail/delivery'

/**
 * With a provider configured, a request that queued email (`c.set('mailQueued', true)`) starts a flush once its
 * answer is ready: handed to the platform's `waitUntil` (Workers; Next's `after` through the route's execution
 * context) so the function lives until it is done, or else left running in this process (the Node server).
 * Whatever it does not finish, the scheduled flush picks up.
 */
export function deliverMail(db: Database, delivery: DeliverySettings | undefined): MiddlewareHandler<AppEnv> {
  return async function deliverMail(c, next) {
    await next()
    if (!delivery || !c.get('mailQueued')) return
    const task = flushOutbox(db, delivery).catch((error: unknown) => {
      console.error(JSON.stringify({ level: 'error', msg: 'mail delivery failed', error: String(error) }))
    })
    let executionContext: { waitUntil(promise: Promise<unknown>): void } | undefined
    try {
      executionContext = c.executionCtx
    } catch {
      // Hono throws when the runtime gave no execution context (the Node server): the task runs on in-process.
    }
    if (typeof executionContext?.waitUntil === 'function') executionContext.waitUntil(task)
  }
}
