/**
 * The operator's commands against a real database: `npm run mail:outbox` prints what the outbox holds, and
 * `npm run auth:unlock -- <email>` lets a locked-out account log in again.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { describe, expect, inject, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { upsertAccount } from '../../db/queries/accounts'
import { loginAttempts, outbox } from '../../db/schema'
import { loginBuckets } from '../../edge/auth/login-throttle'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const RUN_TIMEOUT_MS = 60_000
const db = createDatabase({ databaseUrl: inject('databaseUrl'), sqlGatewayEndpoint: inject('sqlEndpoint') })
const unique = (label: string) => `${label}${crypto.randomUUID().slice(0, 12)}@example.test`

function run(script: string, args: string[], settings: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...settings }
  if (!settings.SQL_GATEWAY_ENDPOINT) delete env.SQL_GATEWAY_ENDPOINT
  return new Promise<{ exitCode: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      './node_modules/.bin/tsx',
      [script, ...args],
      { cwd: ROOT, env, timeout: RUN_TIMEOUT_MS },
      (error, stdout, stderr) => {
        resolve({
          exitCode: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
        })
      },
    )
  })
}

const throughTheRunsGateway = {
  DATABASE_URL: inject('databaseUrl'),
  SQL_GATEWAY_ENDPOINT: inject('sqlEndpoint'),
}

async function lockedAccount() {
  const email = unique('locked')
  await upsertAccount(db, { name: 'Locked', email, passwordHash: 'pbkdf2-sha256$1$x$y', role: 'user' })
  const { email: bucket } = await loginBuckets(email, new Headers())
  await db
    .insert(loginAttempts)
    .values({ bucket, attempts: 99, windowEndsAt: sql`now() + interval '1 hour'` })
  const remaining = async () =>
    (
      await db.execute<{ n: number }>(
        sql`select count(*)::int as n from login_attempts where bucket = ${bucket}`,
      )
    ).rows[0]?.n
  return { email, remaining }
}

describe('npm run mail:outbox', () => {
  it('prints the latest messages, one JSON object per line with --json', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const to = unique('reader')
    await db.insert(outbox).values([
      { toAddress: to, subject: 'First', body: 'one https://app.example.test/x', kind: 'test' },
      { toAddress: to, subject: 'Second', body: 'two', kind: 'test' },
    ])
    const json = await run('scripts/mail-outbox.ts', ['--json', '--to', to], throughTheRunsGateway)
    expect(json.exitCode, json.stderr).toBe(0)
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toMatchObject([
      { to, subject: 'Second', text: 'two' },
      { to, subject: 'First', text: 'one https://app.example.test/x' },
    ])
    const text = await run('scripts/mail-outbox.ts', ['--to', to, '--limit', '1'], throughTheRunsGateway)
    expect(text.stdout).toContain('Subject: Second')
    expect(text.stdout).not.toContain('First')
  })
})

describe('npm run auth:unlock', () => {
  it('clears the throttle of the account with this email, whatever its case', {
    timeout: RUN_TIMEOUT_MS,
  }, async () => {
    const { email, remaining } = await lockedAccount()
    expect(await remaining()).toBe(1)
    const result = await run('scripts/auth-unlock.ts', [email.toUpperCase()], throughTheRunsGateway)
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await remaining()).toBe(0)
  })

  it('says so and exits 1 for an email no account has', { timeout: RUN_TIMEOUT_MS }, async () => {
    const result = await run('scripts/auth-unlock.ts', [unique('nobody')], throughTheRunsGateway)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('No account has the email')
  })

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'reaches a plain Postgres DATABASE_URL through a gateway of its own',
    { timeout: RUN_TIMEOUT_MS },
    async () => {
      const { email, remaining } = await lockedAccount()
      const result = await run('scripts/auth-unlock.ts', [email], {
        DATABASE_URL: process.env.TEST_DATABASE_URL ?? '',
      })
      expect(result.exitCode, result.stderr).toBe(0)
      expect(await remaining()).toBe(0)
    },
  )
})
