/**
 * The built app with a real streaming standby as its replica (DATABASE_REPLICA_URLS), on both servers: a caller's
 * own writes read back at once through the API and the pages while replay is paused, another caller reads the
 * stale standby, and a stopped standby costs no read. Real Postgres only: skipped without TEST_DATABASE_URL.
 */
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { DEFAULT_FRESH_WRITE_MS } from '../../db/replicas'
import { users } from '../../db/schema'
import { CONSISTENCY_COOKIE, CONSISTENCY_HEADER } from '../../edge/consistency'
import { createStandby, type Standby } from '../support/standby'
import { createE2eAccount } from './accounts'
import { startNextServer, startProductionServer, stop, waitUntilServing } from './built-server'

const primaryUrl = process.env.TEST_DATABASE_URL
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A signed-in caller: a Bearer token for the API, and the cookies a browser holds (session, then consistency). */
interface Caller {
  bearer: string
  cookies: Map<string, string>
}

describe.skipIf(!primaryUrl)('reads on a streaming standby (built app)', () => {
  let standby: Standby
  let server: ChildProcess | undefined
  let appUrl = ''

  beforeAll(async () => {
    standby = await createStandby(primaryUrl as string)
    const kind = inject('serverKind')
    const log = createWriteStream(`test-results/e2e/replicas-${kind}.log`)
    const env = { DATABASE_REPLICA_URLS: standby.url, DATABASE_REPLICA_MAX_LAG_MS: '600000' }
    const started =
      kind === 'node'
        ? await startProductionServer(inject('databaseUrl'), inject('sqlEndpoint'), log, false, env)
        : await startNextServer(inject('databaseUrl'), inject('sqlEndpoint'), log, env)
    server = started.server
    appUrl = started.appUrl
    await waitUntilServing(server, `${appUrl}/api/hello`, 60_000, String(log.path))
  })
  afterAll(async () => {
    if (server) await stop(server)
    await standby?.remove()
  })

  async function signIn(): Promise<Caller> {
    const { email, password } = await createE2eAccount('admin', 'replica')
    const response = await fetch(`${appUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password }),
    })
    expect(response.status).toBe(200)
    const caller: Caller = {
      bearer: ((await response.json()) as { accessToken: string }).accessToken,
      cookies: new Map(),
    }
    keepCookies(caller, response)
    return caller
  }

  function keepCookies(caller: Caller, response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';')
      const at = pair.indexOf('=')
      caller.cookies.set(pair.slice(0, at), pair.slice(at + 1))
    }
  }

  const cookieHeader = (caller: Caller) =>
    [...caller.cookies].map(([name, value]) => `${name}=${value}`).join('; ')

  /** An API call as `caller`, echoing `position` when given (as an API client does). */
  function api(caller: Caller, path: string, init: RequestInit = {}, position?: string) {
    const headers = new Headers(init.headers)
    headers.set('Authorization', `Bearer ${caller.bearer}`)
    if (position) headers.set(CONSISTENCY_HEADER, position)
    return fetch(`${appUrl}${path}`, { ...init, headers })
  }

  async function nameOf(caller: Caller, id: number, position?: string) {
    const response = await api(caller, `/api/users/${id}`, {}, position)
    return response.status === 200 ? ((await response.json()) as { name: string }).name : response.status
  }

  /** The /users page as the browser of `caller` sees it (its cookies), searched for `tag`. */
  async function usersPage(caller: Caller, tag: string): Promise<string> {
    const response = await fetch(`${appUrl}/users?q=${tag}`, { headers: { cookie: cookieHeader(caller) } })
    expect(response.status).toBe(200)
    return response.text()
  }

  async function renameOnPrimary(id: number, name: string): Promise<void> {
    const db = createDatabase({
      databaseUrl: primaryUrl as string,
      sqlGatewayEndpoint: inject('sqlEndpoint'),
    })
    await db.update(users).set({ name }).where(eq(users.id, id))
  }

  async function createUser(caller: Caller, name: string, tag: string) {
    const response = await api(caller, '/api/users', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, email: `${tag}@example.test` }),
    })
    expect(response.status).toBe(201)
    const { id } = (await response.json()) as { id: number }
    return { id, position: response.headers.get(CONSISTENCY_HEADER) ?? '' }
  }

  it('reads a caller their own create and rename through the API at once; another caller reads the standby', async () => {
    const [writer, reader] = await Promise.all([signIn(), signIn()])
    const tag = `e2e-ryw-${crypto.randomUUID().slice(0, 8)}`
    await standby.pauseReplay()
    try {
      const created = await createUser(writer, `${tag} one`, tag)
      expect(created.position).toMatch(/^\d+\.\d+$/)
      expect(await nameOf(writer, created.id, created.position)).toBe(`${tag} one`)
      expect(await nameOf(reader, created.id)).toBe(404)

      const renamed = await api(
        writer,
        `/api/users/${created.id}`,
        {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: `${tag} two` }),
        },
        created.position,
      )
      expect(renamed.status).toBe(200)
      const position = renamed.headers.get(CONSISTENCY_HEADER) ?? ''
      expect(await nameOf(writer, created.id, position)).toBe(`${tag} two`)
      expect(await nameOf(reader, created.id)).toBe(404)
      // Past the fresh-write window the standby is asked first; its check sends the writer to the primary.
      await sleep(DEFAULT_FRESH_WRITE_MS + 100)
      expect(await nameOf(writer, created.id, position)).toBe(`${tag} two`)
      expect(await nameOf(reader, created.id)).toBe(404)
    } finally {
      await standby.resumeReplay()
    }
  })

  it('shows a browser its own rename on /users at once (the form sets the cookie); another browser sees the standby', async () => {
    const [writer, reader] = await Promise.all([signIn(), signIn()])
    const tag = `e2e-page-${crypto.randomUUID().slice(0, 8)}`
    const { id } = await createUser(writer, `${tag} before`, tag)
    await expect.poll(() => nameOf(reader, id), { timeout: 10_000 }).toBe(`${tag} before`)
    await standby.pauseReplay()
    try {
      const form = new URLSearchParams({
        intent: 'rename',
        id: String(id),
        name: `${tag} after`,
        back: `/users?q=${tag}`,
      })
      const posted = await fetch(`${appUrl}/users/submit`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Origin: appUrl,
          cookie: cookieHeader(writer),
        },
        body: form,
        redirect: 'manual',
      })
      expect(posted.status).toBe(303)
      keepCookies(writer, posted)
      expect(writer.cookies.get(CONSISTENCY_COOKIE)).toMatch(/^\d+\.\d+$/)

      const writersPage = await usersPage(writer, tag)
      expect(writersPage).toContain(`${tag} after`)
      expect(writersPage).not.toContain(`${tag} before`)
      await sleep(DEFAULT_FRESH_WRITE_MS + 100)
      expect(await usersPage(writer, tag)).toContain(`${tag} after`)
      const readersPage = await usersPage(reader, tag)
      expect(readersPage).toContain(`${tag} before`)
      expect(readersPage).not.toContain(`${tag} after`)
    } finally {
      await standby.resumeReplay()
    }
  })

  it('answers every read while the standby is stopped, and reads from it again once it is back', async () => {
    const caller = await signIn()
    const tag = `e2e-down-${crypto.randomUUID().slice(0, 8)}`
    const { id } = await createUser(caller, `${tag} steady`, tag)
    await expect.poll(() => nameOf(caller, id), { timeout: 10_000 }).toBe(`${tag} steady`)
    await standby.stop()
    try {
      for (let i = 0; i < 3; i++) {
        expect(await nameOf(caller, id)).toBe(`${tag} steady`)
        expect((await api(caller, `/api/users?q=${tag}`)).status).toBe(200)
        expect((await api(caller, '/api/auth/me')).status).toBe(200)
        expect(await usersPage(caller, tag)).toContain(`${tag} steady`)
      }
      const health = await fetch(`${appUrl}/api/health`)
      expect(health.status).toBe(200)
      expect(await health.json()).toMatchObject({ replicas: [{ name: 'replica-1', status: 'down' }] })
    } finally {
      await standby.start()
    }
    await standby.pauseReplay()
    try {
      await renameOnPrimary(id, `${tag} moved`)
      // Only a read that reached the (paused) standby can still show the old name.
      await expect.poll(() => nameOf(caller, id), { timeout: 15_000, interval: 300 }).toBe(`${tag} steady`)
      expect(await (await fetch(`${appUrl}/api/health`)).json()).toMatchObject({
        replicas: [{ name: 'replica-1', status: 'up' }],
      })
    } finally {
      await standby.resumeReplay()
    }
  })
})
