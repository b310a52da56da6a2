/**
 * A peer for `npm run bench:api`: the server a Node engineer would write by hand instead of Edgeline's. Fastify 5
 * with its pino logger (a request id, one JSON line per request, to a file, asynchronously as pino does with a
 * destination), `jose` verifying an HS256 Bearer token on every request, and a `pg.Pool` reading the same row.
 */
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { jwtVerify } from 'jose'
import pg from 'pg'

const { DATABASE_URL, JWT_SECRET, LOG_FILE } = process.env
if (!DATABASE_URL || !JWT_SECRET || !LOG_FILE)
  throw new Error('DATABASE_URL, JWT_SECRET and LOG_FILE are required')

// As many connections as the gateway of `npm start` holds by default (SQL_GATEWAY_POOL_SIZE), so both servers
// wait on Postgres alike; pg's own default is the same 10.
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 })
// The same statement the app's GET /api/users/:id runs (db/queries/users.ts), minus drizzle.
const SELECT_USER = 'select id, name, email, role, created_at, updated_at from users where id = $1'
// Imported once: given the raw bytes, jose imports the key again on every verification. A careful engineer does
// this; it makes the peer faster, so the comparison is not flattered by a naive peer.
const key = await crypto.subtle.importKey(
  'raw',
  new TextEncoder().encode(JWT_SECRET),
  { name: 'HMAC', hash: 'SHA-256' },
  false,
  ['verify'],
)

const app = Fastify({
  // pino.destination(LOG_FILE) underneath: sonic-boom, asynchronous (pino's default for a destination).
  logger: { file: LOG_FILE },
  // Fastify logs two lines per request by default; one, written below, is what the other servers write.
  disableRequestLogging: true,
  requestIdHeader: 'x-request-id',
  genReqId: () => randomUUID(),
})

app.addHook('onRequest', async (request, reply) => {
  reply.header('x-request-id', request.id)
})
app.addHook('onResponse', async (request, reply) => {
  request.log.info(
    { method: request.method, path: request.url, status: reply.statusCode, durationMs: reply.elapsedTime },
    'request',
  )
})

async function requireToken(request: FastifyRequest, reply: FastifyReply) {
  const header = request.headers.authorization
  const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined
  try {
    if (!token) throw new Error('no token')
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] })
    request.user = { id: payload.sub as string, role: payload.role }
  } catch {
    return reply.code(401).send({ error: 'unauthorized' })
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: { id: string; role: unknown }
  }
}

app.get('/api/hello', async () => ({ message: 'Hello from Next.js Backend!' }))

app.get<{ Params: { id: number } }>(
  '/api/users/:id',
  {
    onRequest: requireToken,
    schema: {
      params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
    },
  },
  async (request, reply) => {
    const { rows } = await pool.query(SELECT_USER, [request.params.id])
    return rows[0] ?? reply.code(404).send({ error: 'not found' })
  },
)

const address = await app.listen({ port: 0, host: '127.0.0.1' })
console.log(`listening on ${address}`)
process.on('SIGTERM', () => void app.close().then(() => pool.end().then(() => process.exit(0))))
