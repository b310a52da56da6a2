/** The one API entry point: every /api request, whatever its method, goes to the Hono app on the edge runtime. */
import type { ExecutionContext } from 'hono'
import { app } from '@/edge'

export const runtime = 'edge'

/** The platform's per-request context, where Next's own `after` finds `waitUntil` (Vercel and `next start` set it). */
const REQUEST_CONTEXT = Symbol.for('@next/request-context')
type RequestContext = { get(): { waitUntil?: (work: Promise<unknown>) => void } | undefined }

/**
 * What `hono/vercel`'s `handle` does, plus an execution context: the app's `waitUntil` (traces exported after the
 * answer, edge/middleware/trace.ts) is the one Next's `after` uses, read directly: importing `after` itself put
 * ~8 KiB of Next into this function (decision 0035). Without one, the export simply runs on (`next start` stays up).
 */
const executionContext: ExecutionContext = {
  waitUntil: (work) => {
    const context = (globalThis as { [REQUEST_CONTEXT]?: RequestContext })[REQUEST_CONTEXT]
    context?.get()?.waitUntil?.(work)
  },
  passThroughOnException: () => {},
  props: {},
}

const handler = (request: Request) => app.fetch(request, undefined, executionContext)

export {
  handler as DELETE,
  handler as GET,
  handler as HEAD,
  handler as OPTIONS,
  handler as PATCH,
  handler as POST,
  handler as PUT,
}
