/**
 * A form post's span: a SERVER span named for the form handler's route, continuing the trace middleware.ts handed
 * on, and handed on in turn to the API the handler calls in-process, whose span (and its database spans) are then
 * its children.
 */
import { setTraceContextHeaders } from './trace-context'
import type { Tracer, WaitUntil } from './tracer'

/** Runs `submit` inside the post's span, on a copy of `request` whose `traceparent` is that span's; exports after. */
export async function traceFormPost(
  tracer: Tracer,
  route: string,
  request: Request,
  submit: (request: Request) => Promise<Response>,
  waitUntil: WaitUntil,
): Promise<Response> {
  const span = tracer.startServerSpan('POST', request.headers)
  span.record.name = `POST ${route}`
  const headers = new Headers(request.headers)
  setTraceContextHeaders(headers, span.context)
  const traced = new Request(request, { headers })
  let status = 0
  try {
    const response = await (span.context.sampled ? tracer.run(span, () => submit(traced)) : submit(traced))
    status = response.status
    return response
  } finally {
    tracer.end(
      span,
      { 'http.route': route, 'url.path': route, ...(status ? { 'http.response.status_code': status } : {}) },
      status === 0 ? 'form post failed' : status >= 500 ? String(status) : undefined,
    )
    tracer.exportLater(waitUntil)
  }
}
