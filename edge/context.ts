/** The per-request variables every middleware and route can rely on (Hono's typed context). */
import type { Identity } from './auth/tokens'
import type { RequestTiming } from './middleware/server-timing'
import type { ActiveSpan, Tracer } from './telemetry/tracer'

/** Who did what to whom, for the access log line: ids only, never the values (emails are personal data). */
export interface AuditEvent {
  action: string
  actorId: string
  userId: number
}

export interface AppEnv {
  Variables: {
    /** Set by the request-id middleware: the caller's valid `x-request-id`, or a new UUID. */
    requestId: string
    /** Set by the server-timing middleware: where this request's time went. */
    timing: RequestTiming
    /** Set by the authenticate middleware: who the verified token says the caller is; undefined on public paths. */
    identity: Identity | undefined
    /** Set by a route whose action an operator must be able to trace (an admin's change of someone's email). */
    audit: AuditEvent | undefined
    /** Set by a route that queued email: delivery starts once the response is sent (edge/middleware/deliver-mail.ts). */
    mailQueued: boolean | undefined
    /** Set by the trace middleware when tracing is on: the request's span, and the tracer for its children. */
    tracing: { tracer: Tracer; span: ActiveSpan } | undefined
  }
}
