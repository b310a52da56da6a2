/** The one API entry point: every /api request, whatever its method, goes to the Hono app on the edge runtime. */
import type { ExecutionContext } from 'hono'
import { app } from '@/edge'
import { waitUntilAfterResponse } from '../../request-context'

export const runtime = 'edge'

/**
 * What `hono/vercel`'s `handle` does, plus an execution context: the app's `waitUntil` (traces exported after the
 * answer, edge/middleware/trace.ts) is the one Next's `after` uses (app/request-context.ts).
 */
const executionContext: ExecutionContext = {
  waitUntil: waitUntilAfterResponse,
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
