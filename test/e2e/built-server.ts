/**
 * Global setup of the e2e project: `next build` once, then `next start` on a free port against the run's database,
 * shared by the HTTP tests and the browser tests. The build's and the server's output go to test-results/e2e/.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { TestProject } from 'vitest/node'
import { migrateDatabase } from '../../db/migrate'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where `next start` serves the production build, e.g. http://127.0.0.1:40123. */
    appUrl: string
    /** The file holding what `next build` printed. */
    buildLogFile: string
    /** The file `next start` writes its output to (the access log lines among it), growing while tests run. */
    serverLogFile: string
  }
}

const NEXT = './node_modules/.bin/next'
const OUTPUT_DIR = 'test-results/e2e'
/** The token secret of the served build (production refuses the published development secret). */
export const E2E_JWT_SECRET = 'edgeline-e2e-secret-that-is-at-least-32-bytes-long'

export default async function setup(project: TestProject) {
  // The root global setup (test/global-setup.ts) ran first and started the run's SQL endpoint.
  const { sqlEndpoint, databaseUrl } = project.getProvidedContext()
  if (!sqlEndpoint) throw new Error('test/global-setup.ts must run before test/e2e/built-server.ts')
  mkdirSync(OUTPUT_DIR, { recursive: true })
  const buildLogFile = `${OUTPUT_DIR}/next-build.log`
  const serverLogFile = `${OUTPUT_DIR}/next-start.log`

  writeFileSync(buildLogFile, await runToCompletion(NEXT, ['build']))
  await migrateDatabase(databaseUrl, sqlEndpoint)

  const port = await findFreePort()
  const appUrl = `http://127.0.0.1:${port}`
  const serverLog = createWriteStream(serverLogFile)
  // Spawned directly (not through npx/npm) so the PID we hold is the server's, and we stop exactly it.
  const server = spawn(NEXT, ['start', '--port', String(port), '--hostname', '127.0.0.1'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      LOCAL_SQL_ENDPOINT: sqlEndpoint,
      JWT_SECRET: E2E_JWT_SECRET,
      NEXT_TELEMETRY_DISABLED: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout?.pipe(serverLog)
  server.stderr?.pipe(serverLog)
  try {
    await waitUntilServing(server, `${appUrl}/api/hello`, 60_000, serverLogFile)
  } catch (error) {
    await stop(server)
    throw error
  }

  project.provide('appUrl', appUrl)
  project.provide('buildLogFile', buildLogFile)
  project.provide('serverLogFile', serverLogFile)
  return async () => {
    await stop(server)
    serverLog.end()
  }
}

async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((resolve) => server.once('exit', resolve))
  server.kill('SIGTERM')
  await exited
}

function runToCompletion(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`)),
    )
  })
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

async function waitUntilServing(server: ChildProcess, url: string, timeoutMs: number, logFile: string) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`next start exited early; see ${logFile}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`next start did not answer ${url} within ${timeoutMs} ms; see ${logFile}`)
}
