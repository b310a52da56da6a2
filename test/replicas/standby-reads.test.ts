/**
 * Reads on a real streaming standby of the test Postgres (test/support/standby.ts), through the app in-process and
 * the run's gateway: where reads land, read-your-writes with replay paused, and a standby that goes away and
 * comes back. Real Postgres only: skipped without TEST_DATABASE_URL.
 */
import { eq } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { latestMessages } from '../../db/queries/outbox'
import { DEFAULT_FRESH_WRITE_MS, readRouterFor } from '../../db/replicas'
import { users } from '../../db/schema'
import { setIdentityHeaders } from '../../edge/auth/credentials'
import { CONSISTENCY_COOKIE, CONSISTENCY_HEADER } from '../../edge/consistency'
import { readPageView } from '../../edge/pages/page-view'
import { readUsersListQuery } from '../../edge/pages/users-list-query'
import { asNewAdmin, createTestApp, jsonInit, testConfig, type UserBody, uniqueTag } from '../api/support'
import { createStandby, type Standby } from '../support/standby'

const primaryUrl = process.env.TEST_DATABASE_URL

describe.skipIf(!primaryUrl)('reads on a streaming standby', () => {
  let standby: Standby
  const databaseName = new URL(primaryUrl ?? 'postgresql://x/x').pathname.slice(1)

  beforeAll(async () => {
    standby = await createStandby(primaryUrl as string)
  })
  afterAll(async () => {
    await standby?.remove()
  })

  /** An app whose reads may go to the standby; replicas behind by more than `maxLagMs` serve no one. */
  function appWithStandby(maxLagMs = 600_000) {
    const { app } = createTestApp({ config: { replicaUrls: [standby.url], replicaMaxLagMs: maxLagMs } })
    return { app, admin: asNewAdmin(app) }
  }

  /** Transactions the standby has committed in the test database (reads there are each one). */
  async function standbyTransactions(): Promise<number> {
    const client = new pg.Client({ connectionString: standby.urlOf('postgres') })
    await client.connect()
    try {
      const { rows } = await client.query<{ n: string }>(
        'select xact_commit + xact_rollback as n from pg_stat_database where datname = $1',
        [databaseName],
      )
      return Number(rows[0]?.n ?? 0)
    } finally {
      await client.end()
    }
  }

  /** A name change made on the primary behind the app's back: no caller holds its position. */
  async function renameOnPrimary(id: number, name: string): Promise<void> {
    const db = createDatabase({
      databaseUrl: primaryUrl as string,
      sqlGatewayEndpoint: inject('sqlEndpoint'),
    })
    await db.update(users).set({ name }).where(eq(users.id, id))
  }

  async function nameSeenBy(
    client: { request(path: string, init?: RequestInit): Promise<Response> },
    id: number,
    position?: string,
  ) {
    const response = await client.request(`/api/users/${id}`, {
      headers: position ? { [CONSISTENCY_HEADER]: position } : {},
    })
    return response.status === 200 ? ((await response.json()) as UserBody).name : response.status
  }

  it('sends reads to the standby: they are counted there, and they show what it has replayed', async () => {
    const { admin } = appWithStandby()
    const created = await admin.request(
      '/api/users',
      jsonInit('POST', { name: 'Before', email: `${uniqueTag()}@e.test` }),
    )
    expect(created.status).toBe(201)
    const user = (await created.json()) as UserBody
    // Let the standby replay the creation, then freeze it.
    await expect.poll(() => nameSeenBy(admin, user.id), { timeout: 10_000 }).toBe('Before')
    const before = await standbyTransactions()
    for (let i = 0; i < 20; i++) expect(await nameSeenBy(admin, user.id)).toBe('Before')
    // Statistics reach pg_stat_database when a backend goes idle (at most once a second).
    await expect
      .poll(standbyTransactions, { timeout: 15_000, interval: 500 })
      .toBeGreaterThanOrEqual(before + 20)

    await standby.pauseReplay()
    try {
      await renameOnPrimary(user.id, 'After')
      // The primary has it; a caller who did not write it reads the standby, which has not replayed it.
      expect(await nameSeenBy(admin, user.id)).toBe('Before')
    } finally {
      await standby.resumeReplay()
    }
    await expect.poll(() => nameSeenBy(admin, user.id), { timeout: 10_000 }).toBe('After')
  })

  it('shows a caller their own create and rename at once while replay is paused; others see the standby', async () => {
    const { app, admin } = appWithStandby()
    const other = asNewAdmin(app)
    const tag = uniqueTag('ryw')
    // Sign both callers in before the standby stops replaying (their log-ins are writes too).
    await admin.request('/api/auth/me')
    await other.request('/api/auth/me')
    await standby.pauseReplay()
    try {
      const created = await admin.request(
        '/api/users',
        jsonInit('POST', { name: `${tag} one`, email: `${tag}@e.test` }),
      )
      expect(created.status).toBe(201)
      const position = created.headers.get(CONSISTENCY_HEADER) ?? ''
      expect(position).toMatch(/^\d+\.\d+$/)
      expect(created.headers.get('set-cookie')).toContain(`${CONSISTENCY_COOKIE}=${position}`)
      const { id } = (await created.json()) as UserBody

      expect(await nameSeenBy(admin, id, position)).toBe(`${tag} one`)
      expect(await nameSeenBy(other, id)).toBe(404)
      const list = await admin.request(`/api/users?q=${tag}`, { headers: { [CONSISTENCY_HEADER]: position } })
      expect(((await list.json()) as { data: UserBody[] }).data.map((u) => u.name)).toEqual([`${tag} one`])
      const othersList = await other.request(`/api/users?q=${tag}`)
      expect(((await othersList.json()) as { data: UserBody[] }).data).toEqual([])

      const renamed = await admin.request(`/api/users/${id}`, {
        ...jsonInit('PATCH', { name: `${tag} two` }),
        headers: { 'Content-Type': 'application/json', [CONSISTENCY_HEADER]: position },
      })
      expect(renamed.status).toBe(200)
      const later = renamed.headers.get(CONSISTENCY_HEADER) ?? ''
      expect(xidOf(later)).toBeGreaterThan(xidOf(position))
      expect(await nameSeenBy(admin, id, later)).toBe(`${tag} two`)
      expect(await nameSeenBy(other, id)).toBe(404)
      // Past the fresh-write window the standby is asked first, and its check sends the caller to the primary.
      await sleep(DEFAULT_FRESH_WRITE_MS + 100)
      expect(await nameSeenBy(admin, id, later)).toBe(`${tag} two`)
      expect(await nameSeenBy(other, id)).toBe(404)

      // The pages read the same way, with the browser's cookie.
      const db = createDatabase({
        databaseUrl: primaryUrl as string,
        sqlGatewayEndpoint: inject('sqlEndpoint'),
      })
      const reads = readRouterFor(db, {
        ...testConfig(),
        replicaUrls: [standby.url],
        replicaMaxLagMs: 600_000,
      })
      const pageOf = (cookie?: string) =>
        readPageView(pageHeaders(cookie), db, { users: readUsersListQuery({ q: tag }) }, reads).then((view) =>
          view.usersPage?.data.map((u) => u.name),
        )
      expect(await pageOf(`${CONSISTENCY_COOKIE}=${later}`)).toEqual([`${tag} two`])
      expect(await pageOf()).toEqual([])
    } finally {
      await standby.resumeReplay()
    }
  })

  it('answers a password change with its position, so who-am-I shows the change at once', async () => {
    const { app } = appWithStandby()
    const email = `${uniqueTag('pw')}@e.test`
    const signup = await app.request(
      '/api/auth/signup',
      jsonInit('POST', { name: 'Secret keeper', email, password: 'the first password' }),
    )
    expect(signup.status).toBe(201)
    const { accessToken, user } = (await signup.json()) as { accessToken: string; user: UserBody }
    const meOnTheStandby = async () => {
      const me = await app.request('/api/auth/me', { headers: { Authorization: `Bearer ${accessToken}` } })
      return ((await me.json()) as { user: UserBody | null }).user?.id
    }
    await expect.poll(meOnTheStandby, { timeout: 10_000 }).toBe(user.id)
    await standby.pauseReplay()
    try {
      const changed = await app.request('/api/auth/password', {
        ...jsonInit('POST', { currentPassword: 'the first password', newPassword: 'the second password' }),
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
      })
      expect(changed.status).toBe(200)
      const position = changed.headers.get(CONSISTENCY_HEADER) ?? ''
      const { accessToken: renewed, user: after } = (await changed.json()) as {
        accessToken: string
        user: UserBody
      }
      expect(after.updatedAt).not.toBe(user.updatedAt)
      await sleep(DEFAULT_FRESH_WRITE_MS + 100)
      const me = await app.request('/api/auth/me', {
        headers: { Authorization: `Bearer ${renewed}`, [CONSISTENCY_HEADER]: position },
      })
      expect(((await me.json()) as { user: UserBody }).user.updatedAt).toBe(after.updatedAt)
      const stale = await app.request('/api/auth/me', { headers: { Authorization: `Bearer ${renewed}` } })
      expect(((await stale.json()) as { user: UserBody }).user.updatedAt).toBe(user.updatedAt)
    } finally {
      await standby.resumeReplay()
    }
  })

  it('answers a confirmed email change with its position, so who-am-I shows the new address at once', async () => {
    const { app } = appWithStandby()
    const email = `${uniqueTag('mv')}@e.test`
    const password = 'the only password'
    const signup = await app.request('/api/auth/signup', jsonInit('POST', { name: 'Mover', email, password }))
    expect(signup.status).toBe(201)
    const { accessToken, user } = (await signup.json()) as { accessToken: string; user: UserBody }
    const emailSeenWith = async (headers: Record<string, string> = {}) => {
      const me = await app.request('/api/auth/me', {
        headers: { Authorization: `Bearer ${accessToken}`, ...headers },
      })
      return ((await me.json()) as { user: UserBody | null }).user?.email
    }
    await expect.poll(() => emailSeenWith(), { timeout: 10_000 }).toBe(email)
    await standby.pauseReplay()
    try {
      const newEmail = `${uniqueTag('mvto')}@e.test`
      const asked = await app.request('/api/auth/email', {
        ...jsonInit('POST', { newEmail, currentPassword: password }),
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
      })
      expect(asked.status).toBe(202)
      const primary = createDatabase({
        databaseUrl: primaryUrl as string,
        sqlGatewayEndpoint: inject('sqlEndpoint'),
      })
      const [message] = await latestMessages(primary, { limit: 1, to: newEmail })
      const token = new URL(message?.text?.match(/https?:\/\/\S+/)?.[0] ?? 'http://x/').searchParams.get(
        'token',
      )
      const confirmed = await app.request('/api/auth/email/confirm', jsonInit('POST', { token }))
      expect(confirmed.status).toBe(200)
      const position = confirmed.headers.get(CONSISTENCY_HEADER) ?? ''
      expect(position).toMatch(/^\d+\.\d+$/)
      await sleep(DEFAULT_FRESH_WRITE_MS + 100)
      expect(await emailSeenWith({ [CONSISTENCY_HEADER]: position })).toBe(newEmail)
      // Without the position, the paused standby still answers: the old address, as it was.
      expect(await emailSeenWith()).toBe(user.email)
    } finally {
      await standby.resumeReplay()
    }
  })

  it('serves a caller from the standby once it has replayed their write', async () => {
    const { admin } = appWithStandby()
    const created = await admin.request(
      '/api/users',
      jsonInit('POST', { name: 'Mine', email: `${uniqueTag()}@e.test` }),
    )
    const position = created.headers.get(CONSISTENCY_HEADER) ?? ''
    const { id } = (await created.json()) as UserBody
    await expect.poll(() => nameSeenBy(admin, id), { timeout: 10_000 }).toBe('Mine')
    await sleep(DEFAULT_FRESH_WRITE_MS + 100)
    await standby.pauseReplay()
    try {
      await renameOnPrimary(id, 'Changed elsewhere')
      // The caller's own write is on the standby: it serves them (its stale copy of a change they did not make).
      expect(await nameSeenBy(admin, id, position)).toBe('Mine')
    } finally {
      await standby.resumeReplay()
    }
  })

  it('answers every read from the primary while the standby is down, and returns to it once it is back', async () => {
    const { admin } = appWithStandby()
    const created = await admin.request(
      '/api/users',
      jsonInit('POST', { name: 'Steady', email: `${uniqueTag()}@e.test` }),
    )
    const { id } = (await created.json()) as UserBody
    await expect.poll(() => nameSeenBy(admin, id), { timeout: 10_000 }).toBe('Steady')
    await standby.stop()
    try {
      for (let i = 0; i < 5; i++) {
        expect(await nameSeenBy(admin, id)).toBe('Steady')
        expect((await admin.request('/api/users?limit=1')).status).toBe(200)
        expect((await admin.request('/api/auth/me')).status).toBe(200)
      }
      const health = await admin.request('/api/health')
      expect(health.status).toBe(200)
      expect(await health.json()).toMatchObject({
        status: 'ok',
        replicas: [{ name: 'replica-1', status: 'down', lagMs: null }],
      })
    } finally {
      await standby.start()
    }
    // Back: a paused standby shows its stale copy again, which only a read that reached it can.
    await standby.pauseReplay()
    try {
      await renameOnPrimary(id, 'Moved on')
      await expect.poll(() => nameSeenBy(admin, id), { timeout: 10_000, interval: 300 }).toBe('Steady')
      const health = await admin.request('/api/health')
      expect(await health.json()).toMatchObject({ replicas: [{ name: 'replica-1', status: 'up' }] })
    } finally {
      await standby.resumeReplay()
    }
  })

  it('sends reads to the primary while the standby lags past the bound, and reports it lagging', async () => {
    const { admin } = appWithStandby(300)
    const created = await admin.request(
      '/api/users',
      jsonInit('POST', { name: 'Current', email: `${uniqueTag()}@e.test` }),
    )
    const { id } = (await created.json()) as UserBody
    await expect.poll(() => nameSeenBy(admin, id), { timeout: 10_000 }).toBe('Current')
    await standby.pauseReplay()
    try {
      await renameOnPrimary(id, 'Newer')
      await new Promise((resolve) => setTimeout(resolve, 600))
      // WAL waits unreplayed for longer than the bound: every read, anyone's, comes from the primary.
      expect(await nameSeenBy(admin, id)).toBe('Newer')
      const health = (await (await admin.request('/api/health')).json()) as {
        replicas: { status: string; lagMs: number }[]
      }
      expect(health.replicas[0]?.status).toBe('lagging')
      expect(health.replicas[0]?.lagMs).toBeGreaterThan(300)
    } finally {
      await standby.resumeReplay()
    }
    await expect
      .poll(async () => (await (await admin.request('/api/health')).json()) as object, { timeout: 10_000 })
      .toMatchObject({ replicas: [{ status: 'up', lagMs: 0 }] })
  })
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The transaction id of a position as the API answers it (`<xid>.<ms>`). */
const xidOf = (position: string) => BigInt(position.split('.')[0] ?? '0')

/** The headers middleware.ts hands a page for a signed-in admin, plus the browser's cookie. */
function pageHeaders(cookie?: string): Headers {
  const headers = new Headers()
  setIdentityHeaders(headers, { userId: '1', role: 'admin' })
  if (cookie) headers.set('cookie', cookie)
  return headers
}
