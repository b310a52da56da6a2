/**
 * GET /health: is the database reachable and accepting our DATABASE_URL, and how long does a round trip take? With
 * replicas, how each one stands (checked in parallel with the primary): a replica down only sends reads elsewhere.
 */
import * as z from 'zod'
import type { Database } from '../../db/client'
import { classifyDatabaseFailure, isMisconfiguration } from '../../db/errors'
import { pingDatabase } from '../../db/queries/health'
import { primaryOnly, type ReadRouter } from '../../db/replicas'
import { timeDatabase } from '../middleware/server-timing'
import { documented, onlyInDocs } from '../openapi'
import { problems } from '../problem'
import { createRoute, createRouter } from '../router'
import { problemResponse } from '../schemas/problem'

/** Past this a health check answers 503 rather than hang a load balancer's probe. */
const DATABASE_TIMEOUT_MS = 5000

const HealthSchema = z
  .object({
    status: z.literal('ok'),
    database: z.object({ status: z.literal('up'), roundTripMs: z.number().min(0) }),
    replicas: z
      .array(
        z.object({
          name: z.string().meta(onlyInDocs(() => ({ example: 'replica-1' }))),
          status: z.enum(['up', 'lagging', 'down']),
          lagMs: z.number().min(0).nullable(),
        }),
      )
      .optional()
      .meta(
        onlyInDocs(() => ({
          description:
            'Only when DATABASE_REPLICA_URLS is set: each replica in its order, and its replay lag. `lagging` (past ' +
            'DATABASE_REPLICA_MAX_LAG_MS) and `down` replicas serve no reads until they recover: the primary does.',
        })),
      ),
  })
  .meta(onlyInDocs(() => ({ id: 'Health' })))

const healthRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'checkHealth',
      tag: 'Service',
      summary: 'Check health',
      description:
        'Whether the database answers a trivial query within 5 seconds, and how long the round trip took. Public; ' +
        'made for load balancers and uptime probes. A 503 says why: `/problems/database-unavailable` (down or slow: ' +
        'try again after `Retry-After`) or `/problems/database-misconfigured` (Postgres refuses the database, role ' +
        'or password in `DATABASE_URL`: an operator must fix it; no `Retry-After`).',
      // Not marked as touching the database: whatever the failure, slow or down, this answers its own 503.
    }),
  ),
  method: 'get',
  path: '/health',
  ...onlyInDocs(() => ({
    responses: {
      200: {
        description: 'The API and its database are up',
        content: { 'application/json': { schema: HealthSchema } },
      },
      503: problemResponse(
        'The database is unreachable or too slow (`/problems/database-unavailable`, with Retry-After), or refuses ' +
          'the session DATABASE_URL asks for (`/problems/database-misconfigured`)',
      ),
    },
  })),
})

export function healthRoutes(db: Database, reads: ReadRouter = primaryOnly(db)) {
  return createRouter().openapi(healthRoute, async (c) => {
    const startedAt = performance.now()
    // Never fails: a replica that cannot answer is reported down.
    const replicas = reads.hasReplicas ? reads.checkReplicas() : undefined
    try {
      await timeDatabase(c, () => withTimeout(pingDatabase(db), DATABASE_TIMEOUT_MS))
    } catch (error) {
      // The cause goes to the log line (the error handler logs 5xx causes); the client learns only the category.
      const failure = classifyDatabaseFailure(error)
      const problem = isMisconfiguration(failure)
        ? problems.databaseMisconfigured(failure)
        : problems.databaseUnavailable()
      throw Object.assign(problem, { cause: error })
    }
    const roundTripMs = Math.round((performance.now() - startedAt) * 10) / 10
    const database = { status: 'up' as const, roundTripMs }
    if (!replicas) return c.json({ status: 'ok' as const, database }, 200)
    const states = (await replicas).map(({ name, state, lagMs }) => ({
      name,
      status: state === 'unchecked' ? ('down' as const) : state,
      lagMs,
    }))
    return c.json({ status: 'ok' as const, database, replicas: states }, 200)
  })
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
