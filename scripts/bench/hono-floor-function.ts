/**
 * The floor of `npm run bench:edge`: the smallest Hono app, registered as an edge function exactly as Next's build
 * registers one (`_ENTRIES['middleware_<name>'].default({ request })` answering `{ response }`), without Next.
 */
import { Hono } from 'hono'

const app = new Hono().get('/api/hello', (c) => c.json({ message: 'Hello from Next.js Backend!' }))

interface RequestData {
  url: string
  method: string
  headers: Record<string, string>
}

const scope = globalThis as unknown as { _ENTRIES?: Record<string, unknown> }
scope._ENTRIES ??= {}
scope._ENTRIES.middleware_floor = {
  default: async ({ request }: { request: RequestData }) => ({
    response: await app.fetch(new Request(request.url, { method: request.method, headers: request.headers })),
    waitUntil: Promise.resolve(),
  }),
}
