/** Tracing middleware: one SERVER span per request, current for everything below it (database spans are its children). */
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../context'
import { routeTemplate } from '../route-template'
import type { AttributeValue } from '../telemetry/span'
import { SpanKind } from '../telemetry/span'
import type { Tracer, WaitUntil } from '../telemetry/tracer'

/** The response header that carries the request's trace id (README, Observability). */
export const TRACE_ID_HEADER = 'X-Trace-Id'

/**
 * Starts the request's span (continuing the caller's `traceparent`), sets `span` and the `X-Trace-Id` header, and
 * after the answer records its route template and status, then hands the spans to the exporter: after the
 * response, through the platform's `waitUntil` when it has one, so no request ever waits for the collector.
 */
export function trace(tracer: Tracer): MiddlewareHandler<AppEnv> {
  return async function trace(c, next) {
    const span = tracer.startServerSpan(c.req.method, c.req.raw.headers)
    c.set('tracing', { tracer, span })
    c.header(TRACE_ID_HEADER, span.context.traceId)
    try {
      // Only a sampled request needs to be current below (for its database spans): the others skip the storage.
      await (span.context.sampled ? tracer.run(span, next) : next())
    } finally {
      const route = routeTemplate(c)
      const status = c.res.status
      span.record.name = route ? `${c.req.method} ${route}` : c.req.method
      tracer.end(
        span,
        {
          ...(route ? { 'http.route': route } : {}),
          'url.path': c.req.path,
          'http.response.status_code': status,
          'edgeline.request_id': c.get('requestId'),
        },
        status >= 500 ? String(status) : undefined,
      )
      tracer.exportLater(tracer.batches ? undefined : waitUntilOf(c))
    }
  }
}

/**
 * Runs `work` inside a child span of the request's (token verification, password hashing): when tracing is off,
 * or the request is not sampled, it is just `work()`.
 */
export async function inSpan<T>(
  c: Context<AppEnv>,
  name: string,
  work: () => Promise<T>,
  attributes?: Record<string, AttributeValue>,
): Promise<T> {
  const tracing = c.get('tracing')
  if (!tracing?.span.context.sampled) return work()
  const { tracer } = tracing
  const span = tracer.startSpan(name, SpanKind.INTERNAL, attributes, tracing.span)
  if (!span) return work()
  try {
    return await work()
  } finally {
    tracer.end(span)
  }
}

/** Workers and our Next route handler pass an execution context; @hono/node-server does not (Hono then throws). */
function waitUntilOf(c: Context<AppEnv>): WaitUntil | undefined {
  try {
    const context = c.executionCtx
    return (work) => context.waitUntil(work)
  } catch {
    return undefined
  }
}
