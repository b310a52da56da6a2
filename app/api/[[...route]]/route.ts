/** The one API entry point: every /api request, whatever its method, goes to the Hono app on the edge runtime. */
import { after } from 'next/server'
import { app } from '@/edge'

export const runtime = 'edge'

/**
 * Hono's `handle` (hono/vercel) without its missing piece: an execution context whose `waitUntil` is Next's
 * `after`, so work the app starts once its answer is ready (sending queued email) outlives the response.
 */
const executionContext = {
  waitUntil: (promise: Promise<unknown>) => after(promise),
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
