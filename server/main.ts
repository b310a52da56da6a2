/**
 * `npm start`: Edgeline's production server for any Node host (decision 0018). One process: the Hono API on
 * Node, Next for pages and middleware, and the SQL-over-HTTP gateway in front of any non-Neon Postgres.
 * `node server.mjs migrate` applies the migrations and exits; `node server.mjs --help` says how to run it.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { existsSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import nextEnv from '@next/env'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'
import { createDatabase } from '../db/client'
import {
  DEFAULT_SQL_GATEWAY_ENDPOINT,
  EMBEDDED_DATABASE_URL,
  isEmbeddedDatabaseUrl,
  isNeonDatabaseUrl,
} from '../db/database-url'
import { readSqlGatewayConfig } from '../db/gateway/config'
import { type SqlGateway, startSqlGateway } from '../db/gateway/server'
import { MigrationError, migrateDatabase } from '../db/migrate'
import { createApp } from '../edge/app'
import { type EnvSource, parseConfig } from '../edge/env'
import { flushOutbox } from '../edge/mail/delivery'
import { parseTelemetryConfig, type TelemetryEnvSource } from '../edge/telemetry/env'
import { originOf } from '../edge/telemetry/otlp'
import { createTracer } from '../edge/telemetry/tracer'
import { createAccessLogSink } from './access-log-sink'
import { createClientAddressRewriter } from './client-address'
import { readServerConfig } from './config'
import { createProductionServer, drain } from './http-server'
import { readOrCreateLocalSecret } from './local-secret'
import { createServerMetrics, exportMetricsPeriodically, serveMetrics, withRoundTripMetrics } from './metrics'
import { requestMetrics } from './request-metrics'
import { usage } from './usage'

// Before Next loads: it picks its production code paths (and React its production build) from this.
Object.assign(process.env, { NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' })

/** A mistake in how the server was started (a flag, a variable): its message is followed by where to find help. */
class StartupError extends Error {}

/** How often the server sends what is due in the outbox (failed messages whose backoff is over, anything missed). */
const MAIL_FLUSH_INTERVAL_MS = 60_000

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(usage())
  // .env, .env.production, .env.local from where the server is started, read by Next's own loader.
  nextEnv.loadEnvConfig(process.cwd(), false)
  const migrateOnly = argv[0] === 'migrate'
  const serverConfig = asStartupError(() => readServerConfig(migrateOnly ? [] : argv, process.env))
  if (!process.env.DATABASE_URL && process.env.VERCEL === '1') {
    throw new Error('DATABASE_URL is required on Vercel: set it to your Neon connection string.')
  }
  const databaseUrl = process.env.DATABASE_URL || EMBEDDED_DATABASE_URL
  // Only the embedded database is set up for you (migrated at start, a per-machine token secret), as `npm run dev`
  // does: any real Postgres, this machine's included, is a deployment's, never migrated behind its owner's back.
  const embedded = isEmbeddedDatabaseUrl(databaseUrl)
  // Migrating signs no token: `migrate` leaves no secret file behind wherever it is run.
  if (embedded && !migrateOnly && !process.env.JWT_SECRET && !process.env.JWKS_URL) {
    process.env.JWT_SECRET = readOrCreateLocalSecret()
  }
  // Fails here, naming every bad variable, before anything listens (migrating needs no token keys).
  const appConfig = migrateOnly
    ? undefined
    : asStartupError(() => parseConfig({ ...process.env, DATABASE_URL: databaseUrl } as EnvSource))
  const telemetry = migrateOnly
    ? undefined
    : asStartupError(() => parseTelemetryConfig(process.env as TelemetryEnvSource))

  // Replicas are reached like the primary: through the same gateway (a pool per database) unless Neon's own.
  const gateway = await startGatewayUnlessNeon([databaseUrl, ...(appConfig?.replicaUrls ?? [])])
  const sqlEndpoint = gateway?.url ?? process.env.SQL_GATEWAY_ENDPOINT ?? DEFAULT_SQL_GATEWAY_ENDPOINT
  // Pages and the middleware run in Next's edge sandbox, which reaches the gateway over loopback HTTP.
  Object.assign(process.env, { DATABASE_URL: databaseUrl, SQL_GATEWAY_ENDPOINT: sqlEndpoint })
  try {
    if (migrateOnly || embedded) {
      await migrateDatabase(databaseUrl, sqlEndpoint)
      console.log(`✓ migrations applied to ${redacted(databaseUrl)}`)
    }
  } catch (error) {
    await gateway?.close()
    // Printed by the last handler below as the process exits 1: where, then why (the database's own words).
    if (error instanceof MigrationError) {
      throw new Error(`✗ migrations not applied to ${redacted(databaseUrl)}: ${error.message}`, {
        cause: error,
      })
    }
    throw error
  }
  if (!appConfig) return void (await gateway?.close())

  const accessLog = createAccessLogSink()
  // Whatever ends the process short of SIGKILL (a clean stop, a crash on an uncaught error), buffered lines go out.
  process.on('exit', () => accessLog.flush())
  // Batched: spans go out every OTEL_BSP_SCHEDULE_DELAY (no request waits for them), and all of them on SIGTERM.
  const tracer = telemetry && createTracer(telemetry, { storage: new AsyncLocalStorage(), batches: true })
  // Metrics when someone will read them: an OTLP endpoint for metrics, or METRICS_PORT for Prometheus.
  const metrics =
    telemetry && (telemetry.metrics || serverConfig.metrics)
      ? createServerMetrics({
          origin: originOf(telemetry),
          ...(gateway ? { readPool: gateway.poolStats } : {}),
        })
      : undefined
  const roundTrips = withRoundTripMetrics(tracer?.roundTrips, metrics)
  const db = createDatabase({
    databaseUrl,
    sqlGatewayEndpoint: sqlEndpoint,
    timeoutMs: appConfig.databaseTimeoutMs,
    // The API's queries skip the socket: handed to the gateway in this process, the same protocol end to end.
    fetchFunction: gateway?.fetch,
    ...(roundTrips ? { roundTrips } : {}),
  })
  const api = createApp(
    { ...appConfig, sqlGatewayEndpoint: sqlEndpoint },
    {
      db,
      log: accessLog.write,
      tracer,
      observeRequests: metrics ? requestMetrics(metrics.recordRequest) : undefined,
      // Hono's default router: one compiled expression for every route, the fastest once warm (decision 0040).
      router: new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] }),
    },
  )
  const metricsExport =
    metrics && telemetry?.metrics
      ? exportMetricsPeriodically(metrics, telemetry.metrics, telemetry.metricExportIntervalMs)
      : undefined
  const metricsEndpoint =
    metrics && serverConfig.metrics
      ? await serveMetrics(metrics, serverConfig.metrics.port, serverConfig.metrics.hostname)
      : undefined
  // Mail is sent in this process after each request that queues it; the timer catches retries and anything missed.
  const { delivery } = appConfig.mail
  const mailTimer = delivery
    ? setInterval(
        () =>
          void flushOutbox(db, delivery).catch((error: unknown) => console.error('mail delivery:', error)),
        MAIL_FLUSH_INTERVAL_MS,
      )
    : undefined
  mailTimer?.unref()

  const dir = nextAppDirectory()
  // Loaded only to serve: `migrate` needs none of Next.
  const { default: next } = await import('next')
  const nextServer = next({
    dev: false,
    dir,
    hostname: serverConfig.hostname,
    port: serverConfig.port,
    conf: builtNextConfig(dir),
  })
  await nextServer.prepare()
  const server = createProductionServer({
    api: api.fetch,
    next: nextServer.getRequestHandler(),
    rewriteClientAddress: createClientAddressRewriter(serverConfig.trustProxy),
  })
  await listen(server, serverConfig.port, serverConfig.hostname)
  printBanner(server.address() as AddressInfo, databaseUrl, gateway, {
    replicas: appConfig.replicaUrls.length,
    metricsUrl: metricsEndpoint?.url,
  })

  let stopping = false
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means "now": no more waiting for in-flight requests.
      accessLog.flush()
      process.exit(130)
    }
    stopping = true
    if (mailTimer) clearInterval(mailTimer)
    console.log(`${signal}: finishing in-flight requests (up to ${serverConfig.shutdownTimeoutMs} ms)…`)
    const outcome = await drain(server, serverConfig.shutdownTimeoutMs)
    await nextServer.close()
    await gateway?.close()
    // The last requests' spans, within the exporter's own deadline (OTEL_EXPORTER_OTLP_TIMEOUT).
    await Promise.all([tracer?.flush(), metricsExport?.stop(), metricsEndpoint?.close()])
    // The last requests' lines go out before the line that says it is over: a reader of the log (or a test) that
    // stops at "✓ stopped" has them all.
    await accessLog.close()
    console.log(outcome === 'drained' ? '✓ stopped' : '✓ stopped (some requests were cut off)')
    process.exit(0)
  }
  process.on('SIGTERM', (signal) => void stop(signal))
  process.on('SIGINT', (signal) => void stop(signal))
}

/**
 * Neon hosts speak SQL-over-HTTP themselves; SQL_GATEWAY_ENDPOINT names a gateway run elsewhere; else one of ours,
 * which serves every database named (the primary and any replica: a connection pool each).
 */
async function startGatewayUnlessNeon(databaseUrls: string[]): Promise<SqlGateway | undefined> {
  if (databaseUrls.every(isNeonDatabaseUrl) || process.env.SQL_GATEWAY_ENDPOINT) return undefined
  const config = asStartupError(() => readSqlGatewayConfig(process.env))
  // Loopback only, and a free port unless SQL_GATEWAY_PORT names one: several servers may share a machine.
  const port = process.env.SQL_GATEWAY_PORT ? config.port : 0
  try {
    return await startSqlGateway({ ...config, port, host: '127.0.0.1' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`SQL_GATEWAY_PORT ${port} is taken; choose another or leave it unset.`)
    }
    throw error
  }
}

/** Where `.next` is: beside this file in the standalone artefact, else the directory the server starts in. */
function nextAppDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  return existsSync(join(here, '.next')) ? here : process.cwd()
}

/** The Next config as the build resolved it: no next.config.ts (nor TypeScript) is needed at run time. */
function builtNextConfig(dir: string) {
  const file = join(dir, '.next', 'required-server-files.json')
  if (!existsSync(file)) throw new Error(`No production build in ${dir}: run \`npm run build\` first.`)
  const { config } = JSON.parse(readFileSync(file, 'utf8')) as { config: Record<string, unknown> }
  // As Next's own standalone server does, so every part of Next reads this config rather than looking for a file.
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(config)
  return config
}

function listen(server: ReturnType<typeof createProductionServer>, port: number, hostname: string) {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} is taken: set PORT or --port.`) : error),
    )
    server.listen(port, hostname, () => resolve())
  })
}

function printBanner(
  address: AddressInfo,
  databaseUrl: string,
  gateway: SqlGateway | undefined,
  extras: { replicas: number; metricsUrl: string | undefined },
) {
  const everywhere = address.address === '0.0.0.0' || address.address === '::'
  const host = everywhere ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address
  const database = databaseUrl === EMBEDDED_DATABASE_URL ? 'embedded PGlite' : redacted(databaseUrl)
  console.log(
    [
      '',
      `  Edgeline    http://${host}:${address.port}${everywhere ? `  (every interface, port ${address.port})` : ''}`,
      `  Database    ${database}${gateway ? `  ·  gateway ${gateway.url} (loopback)` : ''}`,
      ...(extras.replicas > 0
        ? [`  Replicas    ${extras.replicas} (DATABASE_REPLICA_URLS): reads go there when they can`]
        : []),
      ...(extras.metricsUrl ? [`  Metrics     ${extras.metricsUrl}`] : []),
      `  Stop        kill ${process.pid}  (SIGTERM drains in-flight requests)`,
      '',
    ].join('\n'),
  )
}

/** Runs a settings reader; what it refuses is the operator's to fix, so its message is followed by where help is. */
function asStartupError<T>(read: () => T): T {
  try {
    return read()
  } catch (error) {
    throw new StartupError(error instanceof Error ? error.message : String(error), { cause: error })
  }
}

/** The connection string without its password, fit for a terminal or a log. */
function redacted(databaseUrl: string): string {
  return databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  // Every variable and option is described by --help: the artefact carries no README and no .env.example.
  if (error instanceof StartupError) console.error(`${helpCommand()} lists the options and variables.`)
  process.exit(1)
})

/** The artefact is run as `node server.mjs`; from a checkout (`npm run db:migrate`), through npm. */
function helpCommand(): string {
  const script = process.argv[1] ?? ''
  return script.endsWith('.mjs') ? `\`node ${script.split(/[\\/]/).pop()} --help\`` : '`npm start -- --help`'
}
