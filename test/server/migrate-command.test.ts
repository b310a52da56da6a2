/** `npm run db:migrate` (`tsx server/main.ts migrate`) says why it failed, in the database's own words, and exits 1. */
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CONNECT_ERRORS,
  type NeonErrorEndpoint,
  startNeonErrorEndpoint,
} from '../support/neon-error-endpoint'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Started and awaited: tsx, the migrator and, for a non-Neon URL, a gateway of its own take a few seconds. */
const RUN_TIMEOUT_MS = 60_000

interface Run {
  exitCode: number | null
  stdout: string
  stderr: string
}

/** Runs the migrate command as `npm run db:migrate` does, with only the database settings given here. */
function runMigrate(settings: { DATABASE_URL: string; SQL_GATEWAY_ENDPOINT?: string }): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...settings }
  if (!settings.SQL_GATEWAY_ENDPOINT) delete env.SQL_GATEWAY_ENDPOINT
  return new Promise((resolve) => {
    execFile(
      './node_modules/.bin/tsx',
      ['server/main.ts', 'migrate'],
      { cwd: ROOT, env, timeout: RUN_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ exitCode, stdout, stderr })
      },
    )
  })
}

/** A loopback port nothing listens on. */
async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

let endpoint: NeonErrorEndpoint | undefined
afterEach(async () => {
  await endpoint?.close()
  endpoint = undefined
})

describe('npm run db:migrate when the database cannot be migrated', () => {
  it(
    'prints the refused address of a Postgres nobody listens at, and exits 1',
    async () => {
      const run = await runMigrate({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/edgeline' })
      expect(run.exitCode).toBe(1)
      expect(run.stderr).toContain(
        "✗ migrations not applied to postgresql://postgres@127.0.0.1:1/edgeline: Couldn't connect to compute node: connect ECONNREFUSED 127.0.0.1:1",
      )
      expect(run.stderr).toContain('while running: CREATE SCHEMA IF NOT EXISTS "drizzle"')
      expect(run.stderr).not.toMatch(/^Failed query/m)
      expect(run.stdout).not.toContain('✓ migrations applied')
    },
    RUN_TIMEOUT_MS,
  )

  it(
    'prints the refused address of a SQL endpoint nobody listens at, and exits 1',
    async () => {
      const port = await unusedPort()
      const run = await runMigrate({
        DATABASE_URL: 'postgresql://app:s3cret-password@db.example.test/appp',
        SQL_GATEWAY_ENDPOINT: `http://127.0.0.1:${port}/sql`,
      })
      expect(run.exitCode).toBe(1)
      expect(run.stderr).toContain(
        `✗ migrations not applied to postgresql://app:***@db.example.test/appp: connect ECONNREFUSED 127.0.0.1:${port}`,
      )
      expect(run.stderr).not.toContain('s3cret-password')
    },
    RUN_TIMEOUT_MS,
  )

  it.each([
    [
      'a database that does not exist',
      CONNECT_ERRORS.unknownDatabase,
      'database "appp" does not exist (Postgres 3D000)',
    ],
    [
      'a wrong password',
      CONNECT_ERRORS.wrongPassword,
      'password authentication failed for user "app" (Postgres 28P01)',
    ],
  ])(
    'prints Postgres’s message and code when the endpoint answers, as Neon does, %s',
    async (_, body, printed) => {
      endpoint = await startNeonErrorEndpoint(400, body)
      const run = await runMigrate({
        DATABASE_URL: 'postgresql://app:s3cret-password@db.example.test/appp',
        SQL_GATEWAY_ENDPOINT: endpoint.url,
      })
      expect(run.exitCode).toBe(1)
      expect(run.stderr).toContain(
        `✗ migrations not applied to postgresql://app:***@db.example.test/appp: ${printed}`,
      )
      expect(run.stderr).not.toContain('s3cret-password')
      // It gave up at the first statement: nothing half-applied, nothing retried.
      expect(endpoint.requests()).toBe(1)
    },
    RUN_TIMEOUT_MS,
  )
})

// Through the command's own gateway to the real Postgres of TEST_DATABASE_URL. The missing database needs the gateway
// to answer connection-time Postgres errors with HTTP 400 and their fields, as Neon does (issue 22, item 2).
const realPostgres = process.env.TEST_DATABASE_URL
describe.skipIf(!realPostgres)('npm run db:migrate on real Postgres', () => {
  it(
    'prints that a database named in DATABASE_URL does not exist, with its code, and exits 1',
    async () => {
      const url = new URL(realPostgres as string)
      const missing = `edgeline_missing_${crypto.randomUUID().slice(0, 8)}`
      url.pathname = `/${missing}`
      const run = await runMigrate({ DATABASE_URL: url.href })
      expect(run.exitCode).toBe(1)
      expect(run.stderr).toContain(`: database "${missing}" does not exist (Postgres 3D000)`)
    },
    RUN_TIMEOUT_MS,
  )

  it(
    'applies the migrations to a database that exists, and exits 0',
    async () => {
      const run = await runMigrate({ DATABASE_URL: realPostgres as string })
      expect(run.stderr).toBe('')
      expect(run.exitCode).toBe(0)
      expect(run.stdout).toContain('✓ migrations applied to')
    },
    RUN_TIMEOUT_MS,
  )
})
