/** Runs `next dev` or `next start` beside the database it needs: the local endpoint when DATABASE_URL is local. */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createDatabase } from '../../db/client'
import { type LocalNeonServer, startLocalNeonServer } from '../../db/local/server'
import { DEFAULT_LOCAL_SQL_PORT, EMBEDDED_DATABASE_URL, isLocalDatabaseUrl } from '../../db/local-url'
import { migrateDatabase } from '../../db/migrate'
import { seedDemoUsersIfEmpty } from '../../db/seed'

export interface RunOptions {
  command: 'dev' | 'start'
  /** Apply migrations to a non-local DATABASE_URL too (dev: yes; production start: never behind your back). */
  migrateRemote: boolean
  /** Add the demo users when the database has no users at all (local databases only). */
  seedWhenEmpty: boolean
  /** Where the embedded database keeps its files between runs. */
  dataDir: string
}

export async function runNextWithDatabase(options: RunOptions): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL || EMBEDDED_DATABASE_URL
  const local = isLocalDatabaseUrl(databaseUrl)
  const endpoint = local ? await startEndpoint(options.dataDir) : undefined
  const sqlEndpoint = endpoint?.url

  try {
    if (local || options.migrateRemote) {
      await migrateDatabase(databaseUrl, sqlEndpoint)
      console.log('✓ migrations applied')
    }
    if (local && options.seedWhenEmpty) {
      const added = await seedDemoUsersIfEmpty(createDatabase({ databaseUrl, localSqlEndpoint: sqlEndpoint }))
      console.log(added > 0 ? `✓ seeded ${added} demo users` : '✓ database already has users; not seeding')
    }
  } catch (error) {
    await endpoint?.close()
    throw error
  }

  const port = process.env.PORT || '3000'
  const next = spawn(
    './node_modules/.bin/next',
    [options.command, '--port', port, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        ...(sqlEndpoint ? { LOCAL_SQL_ENDPOINT: sqlEndpoint } : {}),
      },
    },
  )
  printUrls(port, databaseUrl, sqlEndpoint, options.dataDir)
  await superviseUntilExit(next, endpoint)
}

async function startEndpoint(dataDir: string): Promise<LocalNeonServer> {
  const configured = process.env.LOCAL_SQL_ENDPOINT
  const port = configured ? Number(new URL(configured).port) : DEFAULT_LOCAL_SQL_PORT
  mkdirSync(dataDir, { recursive: true })
  try {
    return await startLocalNeonServer({ port, host: '127.0.0.1', embedded: { dataDir } })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Port ${port} is taken (another \`npm run dev\`, \`npm start\` or \`npm run db:local\`?). ` +
          'Stop it, or set LOCAL_SQL_ENDPOINT=http://127.0.0.1:<free port>/sql.',
      )
    }
    throw error
  }
}

function printUrls(
  port: string,
  databaseUrl: string,
  sqlEndpoint: string | undefined,
  dataDir: string,
): void {
  const database =
    databaseUrl === EMBEDDED_DATABASE_URL
      ? `embedded PGlite in ${dataDir}`
      : databaseUrl.replace(/:[^:@/]*@/, ':***@')
  console.log(
    [
      '',
      `  App         http://localhost:${port}`,
      `  API         http://localhost:${port}/api/hello  ·  /api/health  ·  /api/users`,
      `  Database    ${database}`,
      ...(sqlEndpoint ? [`  SQL (Neon)  ${sqlEndpoint}`] : []),
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  )
}

/** Waits for Next to exit (by itself or after Ctrl-C / SIGTERM), then closes the endpoint and exits with Next's code. */
function superviseUntilExit(next: ChildProcess, endpoint: LocalNeonServer | undefined): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C means "now": do not wait for a graceful shutdown.
        next.kill('SIGKILL')
        process.exit(130)
      }
      stopping = true
      // The terminal already sent SIGINT to Next (same process group); forwarding covers `kill <pid>` and CI.
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
