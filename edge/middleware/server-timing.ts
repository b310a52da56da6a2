/** Server-Timing middleware: reports total and database time per request, so slow requests explain themselves. */
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../context'

/** Where one request's time went, in milliseconds. */
export interface RequestTiming {
  startedAt: number
  databaseMs: number
  databaseCalls: number
}

/** Adds `Server-Timing: db;dur=…, total;dur=…` to every response (browsers show it in their network panel). */
export function serverTiming(): MiddlewareHandler<AppEnv> {
  return async function serverTiming(c, next) {
    const timing: RequestTiming = { startedAt: performance.now(), databaseMs: 0, databaseCalls: 0 }
    c.set('timing', timing)
    await next()
    const totalMs = performance.now() - timing.startedAt
    c.res.headers.set(
      'Server-Timing',
      `db;dur=${timing.databaseMs.toFixed(1)};desc="database", total;dur=${totalMs.toFixed(1)}`,
    )
  }
}

/** Runs one database call and charges its wall time to the request's `db` metric, whether it succeeds or throws. */
export async function timeDatabase<T>(c: Context<AppEnv>, call: () => Promise<T>): Promise<T> {
  const timing = c.get('timing')
  const startedAt = performance.now()
  try {
    return await call()
  } finally {
    timing.databaseMs += performance.now() - startedAt
    timing.databaseCalls += 1
  }
}
