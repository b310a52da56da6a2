/** Runs `next dev` beside the database it needs: the SQL-over-HTTP endpoint for any DATABASE_URL that is not Neon's. */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import nextEnv from '@next/env'
import { EMBEDDED_DATABASE_URL, isLocalDatabaseUrl, isNeonDatabaseUrl } from '../../db/database-url'
import { readSqlGatewayConfig } from '../../db/gateway/config'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { type EnvSource, parseConfig } from '../../edge/env'
import { readOrCreateLocalSecret } from '../../server/local-secret'
import { chooseDevPort } from './dev-port'
import { type PrepareOptions, prepareDatabase } from './prepare-database'

export async function runNextWithDatabase(options: PrepareOptions): Promise<void> {
  // Read .env, .env.local, .env.development… exactly as Next will (same loader, shipped with `next`; CommonJS, hence the default import), so a DATABASE_URL
  // there decides whether we start the gateway, and is not overridden by the default we pass down.
  nextEnv.loadEnvConfig(process.cwd(), true)
  // Chosen before anything starts, so a bad port stops the script before the database is touched.
  const { port, nextArgs } = chooseDevPort(process.argv.slice(2), process.env)
  const databaseUrl = process.env.DATABASE_URL || EMBEDDED_DATABASE_URL
  const local = isLocalDatabaseUrl(databaseUrl)
  // The published development secret would let anyone who can reach this server forge an admin token. On a
  // local database, `npm run dev` signs with a random secret of this machine's instead (as `npm start` does),
  // kept beside the embedded data so sessions survive restarts.
  if (local && !process.env.JWT_SECRET && !process.env.JWKS_URL) {
    process.env.JWT_SECRET = readOrCreateLocalSecret()
  }
  // The app validates the same variables when it starts; failing here names them before anything is started.
  const { auth } = parseConfig({ ...process.env, NODE_ENV: 'development' } as EnvSource)
  // The endpoint's own settings (SQL_GATEWAY_PORT, LOCAL_SQL_DATA_DIR, …), exactly as `npm run db:gateway` reads them.
  const endpointConfig = readSqlGatewayConfig(process.env)
  // The driver sends every non-Neon host to the endpoint (db/client.ts): local, or RDS and the like alike.
  const needsEndpoint = !isNeonDatabaseUrl(databaseUrl) && !process.env.SQL_GATEWAY_ENDPOINT
  const endpoint = needsEndpoint ? await startEndpoint(endpointConfig) : undefined
  const sqlEndpoint = endpoint?.url ?? process.env.SQL_GATEWAY_ENDPOINT

  let admin: { email: string; password: string } | undefined
  try {
    admin = await prepareDatabase(databaseUrl, sqlEndpoint, options)
  } catch (error) {
    await endpoint?.close()
    throw error
  }

  const next = spawn(
    './node_modules/.bin/next',
    ['dev', '--port', String(port), ...listenAddress(nextArgs), ...nextArgs],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        ...(sqlEndpoint ? { SQL_GATEWAY_ENDPOINT: sqlEndpoint } : {}),
      },
    },
  )
  printUrls(port, databaseUrl, sqlEndpoint, endpointConfig.embedded.dataDir)
  if (endpoint && endpointConfig.simulatedLatencyMs) {
    console.log(
      `  Distance    ${endpointConfig.simulatedLatencyMs} ms added to every SQL request (LOCAL_SQL_LATENCY_MS)`,
    )
  }
  printAuth(port, admin, auth.usesDevelopmentSecret)
  await superviseUntilExit(next, endpoint)
}

/**
 * `next dev` serves this machine only (a development server runs unoptimised code with verbose errors): pass
 * `-- --hostname 0.0.0.0` to open it to the network.
 */
function listenAddress(nextArgs: string[]): string[] {
  const chosen = nextArgs.some((arg) => arg === '-H' || arg.startsWith('--hostname'))
  return chosen ? [] : ['--hostname', '127.0.0.1']
}

async function startEndpoint(config: ReturnType<typeof readSqlGatewayConfig>): Promise<SqlGateway> {
  if (config.embedded.dataDir) mkdirSync(config.embedded.dataDir, { recursive: true })
  try {
    return await startSqlGateway(config)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Port ${config.port} is taken (another \`npm run dev\`, \`npm start\` or \`npm run db:gateway\`?). ` +
          'Stop it, or set SQL_GATEWAY_PORT to a free port.',
      )
    }
    throw error
  }
}

function printUrls(
  port: number,
  databaseUrl: string,
  sqlEndpoint: string | undefined,
  dataDir: string | undefined,
): void {
  const embedded = `embedded PGlite ${dataDir ? `in ${dataDir}` : 'in memory'}`
  const database =
    databaseUrl === EMBEDDED_DATABASE_URL ? embedded : databaseUrl.replace(/:[^:@/]*@/, ':***@')
  console.log(
    [
      '',
      `  App         http://localhost:${port}`,
      `  API         http://localhost:${port}/api/hello  ·  /api/health  ·  /api/users`,
      `  Database    ${database}`,
      ...(sqlEndpoint ? [`  SQL (Neon)  ${sqlEndpoint}`] : []),
      process.env.EMAIL_PROVIDER
        ? `  Email       sent through ${process.env.EMAIL_PROVIDER}  ·  npm run mail:outbox shows what went out`
        : '  Email       kept in the outbox (no EMAIL_PROVIDER): npm run mail:outbox prints the latest',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  )
}

function printAuth(
  port: number,
  admin: { email: string; password: string } | undefined,
  usesDevelopmentSecret: boolean,
): void {
  const lines = [
    ...(admin
      ? [
          `  Admin       ${admin.email}  ·  password ${admin.password}  (new on every start; local only)`,
          `              curl -X POST localhost:${port}/api/auth/login -H 'content-type: application/json' \\`,
          `                -d '{"email":"${admin.email}","password":"${admin.password}"}'`,
        ]
      : []),
    ...(usesDevelopmentSecret
      ? ['  Tokens      signed with the local development secret (set JWT_SECRET to use your own)']
      : []),
  ]
  if (lines.length > 0) console.log([...lines, ''].join('\n'))
}

/** Waits for Next to exit (by itself or after Ctrl-C / SIGTERM), then closes the endpoint and exits with Next's code. */
function superviseUntilExit(next: ChildProcess, endpoint: SqlGateway | undefined): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C means "now": do not wait for a graceful shutdown.
        next.kill('SIGKILL')
        process.exit(130)
      }
      stopping = true
      // The terminal already sent SIGINT to Next (same process group); forwarding covers a signal sent to this
      // process alone. Not to npm's: npm signals its `sh -c`, which exits without passing it on (README, Deploy).
      if (next.exitCode === null) next.kill(signal)
    }
    let finished = false
    const finish = async (exitCode: number) => {
      if (finished) return
      finished = true
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      await endpoint?.close()
      process.exitCode = exitCode
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    next.on('error', (error) => {
      console.error(`Could not run next: ${error.message}`)
      void finish(1)
    })
    next.on('exit', (code, signal) => void finish(stopping ? 0 : (code ?? (signal ? 1 : 0))))
  })
}
