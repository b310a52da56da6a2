/** A floor for `npm run bench:api`: the smallest Hono app on @hono/node-server, answering one JSON greeting. */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono().get('/hello', (c) => c.json({ message: 'Hello from Next.js Backend!' }))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
