/**
 * A page view's span: a SERVER span named for the page's route, continuing the trace middleware.ts handed on, with
 * the page's database round trip as its child. It covers the page's work up to its data, not the rendering after.
 */
import type { Tracer, WaitUntil } from './tracer'

/** Runs `read` (the page's one round trip at most) inside the page view's span, then exports after the answer. */
export async function tracePageView<T>(
  tracer: Tracer,
  route: string,
  headers: Headers,
  read: () => Promise<T>,
  waitUntil: WaitUntil,
): Promise<T> {
  // Pages answer GET (and HEAD, which Next renders alike); their forms post to route handlers of their own.
  const span = tracer.startServerSpan('GET', headers)
  span.record.name = `GET ${route}`
  let failed: string | undefined
  try {
    return await (span.context.sampled ? tracer.run(span, read) : read())
  } catch (error) {
    failed = error instanceof Error ? error.name : 'page failed'
    throw error
  } finally {
    tracer.end(span, { 'http.route': route, 'url.path': route }, failed)
    tracer.exportLater(waitUntil)
  }
}
