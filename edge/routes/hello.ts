/** GET /hello: the smallest possible proof that a request reaches the edge app. */
import * as z from 'zod'
import { documented } from '../openapi'
import { createRoute, createRouter } from '../router'

const helloRoute = createRoute({
  ...documented({
    operationId: 'sayHello',
    tag: 'Service',
    summary: 'Say hello',
    description: 'A greeting: proof that a request reaches the edge app. Public; touches nothing.',
  }),
  method: 'get',
  path: '/hello',
  responses: {
    200: {
      description: 'A greeting',
      content: { 'application/json': { schema: z.object({ message: z.string() }) } },
    },
  },
})

export function helloRoutes() {
  return createRouter().openapi(helloRoute, (c) => c.json({ message: 'Hello from Next.js Backend!' }, 200))
}
