/** GET /hello: the smallest possible proof that a request reaches the edge app; cacheable by any CDN. */
import * as z from 'zod'
import { documented, onlyInDocs } from '../openapi'
import { createRoute, createRouter } from '../router'

/**
 * The same for everyone, always: browsers keep it an hour, shared caches (a CDN in front) a day, so a CDN can answer
 * it without running a function. No ETag: revalidating 40 bytes would save nothing over sending them again.
 */
export const HELLO_CACHE_CONTROL = 'public, max-age=3600, s-maxage=86400'

const helloRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'sayHello',
      tag: 'Service',
      summary: 'Say hello',
      description:
        'A greeting: proof that a request reaches the edge app. Public; touches nothing; cacheable by browsers and ' +
        'CDNs.',
    }),
  ),
  method: 'get',
  path: '/hello',
  ...onlyInDocs(() => ({
    responses: {
      200: {
        description: 'A greeting',
        headers: {
          'Cache-Control': {
            description: 'Public: the greeting is the same for everyone',
            schema: { type: 'string' as const, example: HELLO_CACHE_CONTROL },
          },
        },
        content: { 'application/json': { schema: z.object({ message: z.string() }) } },
      },
    },
  })),
})

export function helloRoutes() {
  return createRouter().openapi(helloRoute, (c) =>
    c.json({ message: 'Hello from Next.js Backend!' }, 200, { 'Cache-Control': HELLO_CACHE_CONTROL }),
  )
}
