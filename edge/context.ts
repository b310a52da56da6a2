/** The per-request variables every middleware and route can rely on (Hono's typed context). */
import type { Identity } from './auth/tokens'
import type { RequestTiming } from './middleware/server-timing'
import type { ActiveSpan, Tracer } from './telemetry/tracer'

export interface AppEnv {
  Variables: {
    /** Set by the request-id middleware: the caller's valid `x-request-id`, or a new UUID. */
    requestId: string
    /** Set by the server-timing middleware: where this request's time went. */
    timing: RequestTiming
    /** Set by the authenticate middleware: who the verified token says the caller is; undefined on public paths. */
    identity: Identity | undefined
    /** Set by the trace middleware when tracing is on: the request's span, and the tracer for its children. */
    tracing: { tracer: Tracer; span: ActiveSpan } | undefined
  }
}
