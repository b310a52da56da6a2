/** A reference for `npm run bench:api`: Hono on Node reading one user with `pg` straight over TCP, no auth, no gateway. */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import pg from 'pg'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 16 })
// The same statement the app's GET /api/users/:id runs (db/queries/users.ts), minus drizzle.
const SELECT_USER = 'select id, name, email, role, created_at, updated_at from users where id = $1'

const app = new Hono().get('/users/:id', async (c) => {
  const { rows } = await pool.query(SELECT_USER, [Number(c.req.param('id'))])
  return rows[0] ? c.json(rows[0]) : c.json({ error: 'not found' }, 404)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`)
})
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))))
