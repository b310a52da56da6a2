/**
 * The middleware's span: one per request it sees, continuing the caller's `traceparent`, ended with what it decided,
 * and handed to the function behind it (the API's or the page's span is its child): one trace per request.
 */
import type { GateDecision } from '../auth/gate'
import { setTraceContextHeaders } from './trace-context'
import type { Tracer, WaitUntil } from './tracer'

/** The response header that carries the trace id (as the API's trace middleware sets it). */
const TRACE_ID_HEADER = 'X-Trace-Id'

/**
 * Runs the perimeter's `check` inside a span named `middleware`. A request let through carries our span context on
 * (its `traceparent` replaced by ours: a client's header only ever names our span's parent); a request answered
 * here (refused, redirected) is traced too, and a refusal's answer says its trace id. Exported after the answer
 * through `waitUntil`.
 */
export async function traceGate(
  tracer: Tracer,
  request: Request,
  check: (request: Request) => Promise<GateDecision>,
  waitUntil: WaitUntil | undefined,
): Promise<GateDecision> {
  const span = tracer.startServerSpan(request.method, request.headers)
  span.record.name = 'middleware'
  let decision: GateDecision | undefined
  try {
    decision = await check(request)
    if (decision.action === 'continue') setTraceContextHeaders(decision.requestHeaders, span.context)
    if (decision.action === 'respond') decision.response.headers.set(TRACE_ID_HEADER, span.context.traceId)
    return decision
  } finally {
    const status =
      decision?.action === 'respond' ? decision.response.status : decision?.action === 'redirect' ? 303 : 0
    tracer.end(
      span,
      {
        'url.path': new URL(request.url).pathname,
        'edgeline.middleware.decision': decision?.action ?? 'error',
        ...(status ? { 'http.response.status_code': status } : {}),
      },
      decision ? (status >= 500 ? String(status) : undefined) : 'middleware failed',
    )
    tracer.exportLater(waitUntil)
  }
}
