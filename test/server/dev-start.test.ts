/** What `npm run dev` does to a local database before Next starts, on an embedded database of its own. */
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { EMBEDDED_DATABASE_URL } from '../../db/database-url'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { LOCAL_ADMIN_EMAIL, seedLocalAdmin } from '../../db/seed'
import { createApp } from '../../edge/app'
import { parseConfig } from '../../edge/env'
import { type PrepareOptions, prepareDatabase } from '../../scripts/lib/prepare-database'
import { checkAnswersAgainstDocument } from '../support/checked-app'

const DEV: PrepareOptions = {
  migrateRemote: true,
  clearLoginThrottle: true,
  seedWhenEmpty: true,
  seedAdmin: true,
}

// Its own in-memory database: clearing the throttle forgets every test's failed log-ins, so never on the shared one.
let endpoint: SqlGateway
beforeAll(async () => {
  endpoint = await startSqlGateway({ port: 0 })
  // The embedded database starts at its first query, which took over 20 s on busy cores: start it here, under the
  // hook's longer timeout, so each test's own timeout measures only what the test does.
  const starting = {
    databaseUrl: EMBEDDED_DATABASE_URL,
    sqlGatewayEndpoint: endpoint.url,
    timeoutMs: 110_000,
  }
  await createDatabase(starting).execute('SELECT 1')
})
afterAll(() => endpoint?.close())

async function startDev(options: PrepareOptions = DEV) {
  const lines: string[] = []
  const admin = await prepareDatabase(EMBEDDED_DATABASE_URL, endpoint.url, options, (line) =>
    lines.push(line),
  )
  if (!admin) throw new Error('npm run dev made no admin')
  return { admin, lines }
}

function appOnTheDevDatabase() {
  const config = parseConfig({
    JWT_SECRET: 'a-local-secret-of-this-machine-at-least-32-bytes',
    DATABASE_URL: EMBEDDED_DATABASE_URL,
    SQL_GATEWAY_ENDPOINT: endpoint.url,
  })
  const app = createApp(config, { log: () => {} })
  checkAnswersAgainstDocument(app)
  return app
}

const logIn = (app: ReturnType<typeof appOnTheDevDatabase>, email: string, password: string) =>
  app.request('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '127.0.0.1' },
    body: JSON.stringify({ email, password }),
  })

describe('npm run dev on a local database', () => {
  it('clears the log-in throttle at start, and says so, so the printed admin can log in again', async () => {
    const app = appOnTheDevDatabase()
    const { admin } = await startDev()
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await logIn(app, admin.email, 'a typo')).status).toBe(401)
    }
    expect((await logIn(app, admin.email, admin.password)).status).toBe(429)

    const restarted = await startDev()
    expect(restarted.lines).toContainEqual(expect.stringMatching(/^✓ log-in throttle cleared/))
    expect((await logIn(app, restarted.admin.email, restarted.admin.password)).status).toBe(200)
  })

  it('leaves the throttle alone when not asked to', async () => {
    const app = appOnTheDevDatabase()
    const { admin } = await startDev()
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await logIn(app, admin.email, 'a typo')).status).toBe(401)
    }
    const restarted = await startDev({ ...DEV, clearLoginThrottle: false })
    expect(restarted.lines.join('\n')).not.toMatch(/throttle/)
    expect((await logIn(app, restarted.admin.email, restarted.admin.password)).status).toBe(429)
  })
})

describe('the local admin of npm run dev', () => {
  it('is made at every start with a new random password: the one printed before stops working', async () => {
    const app = appOnTheDevDatabase()
    const first = await startDev()
    const second = await startDev()
    expect(second.admin.email).toBe(LOCAL_ADMIN_EMAIL)
    expect(second.admin.password).not.toBe(first.admin.password)
    expect(second.admin.password.length).toBeGreaterThanOrEqual(16)
    expect((await logIn(app, second.admin.email, first.admin.password)).status).toBe(401)
    const session = await logIn(app, second.admin.email, second.admin.password)
    expect(session.status).toBe(200)
    expect(((await session.json()) as { user: { role: string } }).user.role).toBe('admin')
  })

  it('is never made in a database that is not on this machine, whoever asks', async () => {
    const remote = 'postgresql://edgeline@db.example.com:5432/edgeline'
    // Not even connected to: prepareDatabase returns before any client exists for a remote URL.
    const answer = await prepareDatabase(remote, 'http://127.0.0.1:9/unreachable', {
      ...DEV,
      migrateRemote: false,
    })
    expect(answer).toBeUndefined()
    const db = createDatabase({ databaseUrl: EMBEDDED_DATABASE_URL, sqlGatewayEndpoint: endpoint.url })
    await expect(seedLocalAdmin(db, remote)).rejects.toThrow(/only ever seeded into a local database/)
  })

  it('is never made by npm start: nothing that seeds is part of the production server', async () => {
    const { metafile } = await build({
      entryPoints: ['server/main.ts'],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    })
    const modules = Object.keys(metafile.inputs)
    expect(modules).toContain('server/local-secret.ts')
    expect(modules).not.toContain('db/seed.ts')
    expect(modules).not.toContain('scripts/lib/prepare-database.ts')
  })
})
