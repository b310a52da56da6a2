/**
 * Request-metrics middleware for the production server: each API request's method, route template, status and
 * duration, to a recorder. Here, not in edge/: the edge functions keep no metrics, and carry none of this.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../edge/context'
import { routeTemplate } from '../edge/route-template'

export interface RequestMeasurement {
  method: string
  /** The route template; undefined when no route matched (a 404). */
  route: string | undefined
  status: number
  durationMs: number
}

export type RequestRecorder = (measurement: RequestMeasurement) => void

/** Records after the answer is ready, whatever it is (errors have become problems by then). */
export function requestMetrics(record: RequestRecorder): MiddlewareHandler<AppEnv> {
  return async function requestMetrics(c, next) {
    const startedAt = performance.now()
    await next()
    record({
      method: c.req.method,
      route: routeTemplate(c),
      status: c.res.status,
      durationMs: performance.now() - startedAt,
    })
  }
}
