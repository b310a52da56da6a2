/** The one API entry point: every /api request, whatever its method, goes to the Hono app on the edge runtime. */
import { handle } from 'hono/vercel'
import { app } from '@/edge'

export const runtime = 'edge'

const handler = handle(app)

export {
  handler as DELETE,
  handler as GET,
  handler as HEAD,
  handler as OPTIONS,
  handler as PATCH,
  handler as POST,
  handler as PUT,
}
