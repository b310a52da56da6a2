/** Access-log middleware: exactly one structured JSON line per request, with the error for failed ones. */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv, AuditEvent } from '../context'

export interface AccessLogEntry {
  level: 'info' | 'warn' | 'error'
  time: string
  msg: 'request'
  requestId: string
  /** The request's trace (W3C trace id), when tracing is on: the way from this line to its spans. */
  traceId?: string
  method: string
  path: string
  status: number
  durationMs: number
  dbMs: number
  dbCalls: number
  /** Present when the request did something an operator must be able to trace (edge/context.ts). */
  audit?: AuditEvent
  /** Present only for unexpected errors (the 500s): internals go to the log, never to the client. */
  error?: { name: string; message: string; stack?: string; cause?: string }
}

export type LogWriter = (entry: AccessLogEntry) => void

/** One line of JSON on stdout: what Vercel and most log collectors parse without configuration. */
export const writeJsonLine: LogWriter = (entry) => console.log(JSON.stringify(entry))

/** Logs after the response is ready; must run after request-id and server-timing so both are available. */
export function accessLog(write: LogWriter = writeJsonLine): MiddlewareHandler<AppEnv> {
  const now = isoClock()
  return async function accessLog(c, next) {
    await next()
    const timing = c.get('timing')
    const tracing = c.get('tracing')
    const status = c.res.status
    // 501 says this server has no such method or feature: a definite answer to the client, not a failure of ours.
    const failed = status >= 500 && status !== 501
    const unexpected = failed && c.error ? c.error : undefined
    const audit = c.get('audit')
    write({
      level: failed ? 'error' : status >= 400 ? 'warn' : 'info',
      time: now(),
      msg: 'request',
      requestId: c.get('requestId'),
      ...(tracing ? { traceId: tracing.span.context.traceId } : {}),
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: round(performance.now() - timing.startedAt),
      dbMs: round(timing.databaseMs),
      dbCalls: timing.databaseCalls,
      ...(audit ? { audit } : {}),
      ...(unexpected ? { error: describeError(unexpected) } : {}),
    })
  }
}

/** The error and its `cause` chain (drizzle wraps the driver's error, which may wrap the network's). */
function describeError(error: Error): NonNullable<AccessLogEntry['error']> {
  const causes: string[] = []
  for (let cause = error.cause, depth = 0; cause !== undefined && depth < 4; depth++) {
    causes.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause))
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return {
    name: error.name,
    message: withoutQueryParameters(error.message),
    stack: error.stack === undefined ? undefined : withoutQueryParameters(error.stack),
    ...(causes.length > 0 ? { cause: withoutQueryParameters(causes.join(' <- ')) } : {}),
  }
}

/**
 * drizzle's "Failed query: … params: …" carries the statement's values: password and token hashes, emails. The
 * SQL text is kept (it says what failed); the values never reach a log.
 */
export function withoutQueryParameters(text: string): string {
  // Up to the end of the line, or of this error in a joined cause chain (` <- `).
  return text.replace(/params: (?:(?! <- )[^\n])*/g, 'params: [redacted]')
}

/**
 * `new Date().toISOString()`, formatted once per millisecond: under load many requests end within the same one,
 * and on Node the `Date` constructor is Next's instrumented wrapper (its cacheComponents checks), slow to call.
 */
function isoClock(): () => string {
  let formattedAt = Number.NaN
  let formatted = ''
  return () => {
    const ms = Date.now()
    if (ms !== formattedAt) {
      formattedAt = ms
      formatted = new Date(ms).toISOString()
    }
    return formatted
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
