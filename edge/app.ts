/** Builds the Hono app: middleware in the order a request meets it, then the route modules, then the error handlers. */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { createDatabase, type Database } from '../db/client'
import { type ReadRouter, readRouterFor } from '../db/replicas'
import { createTokenService } from './auth/tokens'
import { CONSISTENCY_HEADER } from './consistency'
import type { AppEnv } from './context'
import type { AppConfig } from './env'
import { accessLog, type LogWriter, writeJsonLine } from './middleware/access-log'
import { authenticate } from './middleware/authenticate'
import { deliverMail } from './middleware/deliver-mail'
import { notFoundOrMethodNotAllowed } from './middleware/method-not-allowed'
import { requestId } from './middleware/request-id'
import { requestLine } from './middleware/request-line'
import { serverTiming } from './middleware/server-timing'
import { TRACE_ID_HEADER, trace } from './middleware/trace'
import { problemFromError, problems, renderProblem } from './problem'
import { type ApiRouter, createRouter } from './router'
import { authRoutes } from './routes/auth'
import { healthRoutes } from './routes/health'
import { helloRoutes } from './routes/hello'
import { mailRoutes } from './routes/mail'
import { userAccessRoutes } from './routes/user-access'
import { usersRoutes } from './routes/users'
import type { Tracer } from './telemetry/tracer'

/** 1 MiB: far above any JSON this API accepts, low enough that nobody can stream junk into a function. */
export const MAX_BODY_BYTES = 1024 * 1024

export interface AppDependencies {
  /** The database (the primary); built from the config when omitted. */
  db: Database
  /** Where reads go (DATABASE_REPLICA_URLS, decision 0037); built from the config and `db` when omitted. */
  reads: ReadRouter
  /** Where the one-line-per-request access log goes; JSON on stdout when omitted. */
  log: LogWriter
  /** Records a trace of every request (edge/telemetry); none when omitted (tracing off: nothing installed). */
  tracer: Tracer | undefined
  /**
   * A middleware of the host's, run outside the access log: the production server's request metrics
   * (server/request-metrics.ts). The edge functions pass none, and carry none.
   */
  observeRequests: MiddlewareHandler<AppEnv> | undefined
  /** How requests find their routes (edge/router.ts): Hono's PatternRouter when omitted. */
  router: ApiRouter['router']
}

export function createApp(config: AppConfig, dependencies: Partial<AppDependencies> = {}) {
  const db =
    dependencies.db ??
    createDatabase({
      databaseUrl: config.databaseUrl,
      sqlGatewayEndpoint: config.sqlGatewayEndpoint,
      timeoutMs: config.databaseTimeoutMs,
      ...(dependencies.tracer ? { roundTrips: dependencies.tracer.roundTrips } : {}),
    })
  const reads = dependencies.reads ?? readRouterFor(db, config)
  const tokens = createTokenService(config.auth)
  const app = createRouter(dependencies.router).basePath('/api')

  // Outermost first: every later middleware, and every log line, can rely on the request id and the timing.
  app.use(requestId())
  // Outside the access log, so its line carries the trace id; absent when tracing is off.
  if (dependencies.tracer) app.use(trace(dependencies.tracer))
  if (dependencies.observeRequests) app.use(dependencies.observeRequests)
  app.use(accessLog(dependencies.log ?? writeJsonLine))
  app.use(serverTiming())
  // Outside the routes, so the flush starts only once the answer is ready (and never delays it).
  app.use(deliverMail(db, config.mail.delivery))
  if (config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
        exposeHeaders: [
          'ETag',
          'Idempotent-Replayed',
          'Location',
          'Server-Timing',
          'X-Request-Id',
          CONSISTENCY_HEADER,
          TRACE_ID_HEADER,
        ],
        maxAge: 600,
      }),
    )
  }
  // A method no route implements, or a path that cannot be decoded, is refused before anyone is asked who they are.
  app.use(requestLine())
  // Verified here again, whatever middleware.ts did: no request reaches a route, or has its body read, without it.
  app.use(authenticate({ tokens, corsEnabled: config.corsOrigins.length > 0 }))
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw problems.payloadTooLarge(MAX_BODY_BYTES)
    },
  })
  // No route reads the body of a GET or HEAD. Skipping them spares the most frequent requests the full Request
  // object that looking at a body builds on Node (@hono/node-server makes it lazily: a measurable cost per read).
  app.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)))

  // Chained, so the app's type carries every route: `hc<AppType>` (edge/app-type.ts) is typed from it.
  const routes = app
    .route('/', helloRoutes())
    .route('/', healthRoutes(db, reads))
    .route('/auth', authRoutes(db, config.auth, tokens, config.mail, reads))
    .route('/users', usersRoutes(db, config.mail, reads))
    .route('/users', userAccessRoutes(db, config.mail))
    .route('/mail', mailRoutes(db, config.mail))

  // A path that exists for other methods is a 405 with Allow (derived from the routes above), any other a 404.
  app.notFound(
    notFoundOrMethodNotAllowed(app, (c) =>
      renderProblem(c, problems.notFound(`Nothing at ${c.req.method} ${c.req.path}.`)),
    ),
  )
  // Unknown errors (bugs, outages) are logged in full by the access log (it sees c.error) and answered generically.
  app.onError((error, c) => renderProblem(c, problemFromError(error) ?? problems.internalError()))
  return routes
}

export type App = ReturnType<typeof createApp>
