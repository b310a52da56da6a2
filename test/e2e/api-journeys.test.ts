/**
 * The API journeys on the built app, both servers: how many database calls each one makes (as its access-log line
 * reports them), how many browser round trips an expired session costs, and the cache headers of the answers that
 * need no data. Counted, never timed (decisions 0024, 0025).
 */
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { API_DOCS_CACHE_CONTROL, API_DOCS_FILES } from '../../edge/openapi'
import { HELLO_CACHE_CONTROL } from '../../edge/routes/hello'
import { checkedFetch, expectEveryApiAnswerDocumented } from './checked-fetch'

const baseUrl = inject('appUrl')
const serverOutput = () => readFileSync(inject('serverLogFile'), 'utf8')

afterAll(expectEveryApiAnswerDocumented)

/** The access-log line of the request sent with `requestId`, once the server has written it. */
async function logLineOf(requestId: string): Promise<{ status: number; dbCalls: number }> {
  const find = () =>
    serverOutput()
      .split('\n')
      .find((line) => line.includes(`"requestId":"${requestId}"`))
  await expect.poll(find).toBeDefined()
  const line = find() ?? ''
  return JSON.parse(line.slice(line.indexOf('{')))
}

let sequence = 0
/** Sends a request with a request id of its own, and answers its status and the database calls it made. */
async function costOf(path: string, init: RequestInit = {}) {
  const requestId = `e2e-journey-${Date.now()}-${sequence++}`
  const headers = new Headers(init.headers)
  headers.set('X-Request-Id', requestId)
  const response = await checkedFetch(`${baseUrl}${path}`, { ...init, headers, redirect: 'manual' })
  const body = await response.text()
  const { status, dbCalls } = await logLineOf(requestId)
  expect(status).toBe(response.status)
  return { response, body, cost: { status, dbCalls } }
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

describe('the auth journeys on the built app', () => {
  it('make one database call each, two for a log-in and a password change', async () => {
    const email = `e2e-journey-${crypto.randomUUID().slice(0, 8)}@example.test`
    const password = 'an e2e journey password'
    const signUp = await costOf('/api/auth/signup', post({ name: 'Journey', email, password }))
    expect(signUp.cost).toEqual({ status: 201, dbCalls: 1 })
    const wrong = await costOf('/api/auth/login', post({ email, password: 'not the password' }))
    expect(wrong.cost).toEqual({ status: 401, dbCalls: 1 })
    const logIn = await costOf('/api/auth/login', post({ email, password }))
    expect(logIn.cost).toEqual({ status: 200, dbCalls: 2 })
    const session = JSON.parse(logIn.body) as { accessToken: string; refreshToken: string }
    const bearer = { Authorization: `Bearer ${session.accessToken}` }
    expect((await costOf('/api/auth/me', { headers: bearer })).cost).toEqual({ status: 200, dbCalls: 1 })
    const change = await costOf(
      '/api/auth/password',
      post({ currentPassword: password, newPassword: 'a new e2e journey password' }, bearer),
    )
    expect(change.cost).toEqual({ status: 200, dbCalls: 2 })
    const changed = JSON.parse(change.body) as { refreshToken: string }
    const refresh = await costOf('/api/auth/refresh', post({ refreshToken: changed.refreshToken }))
    expect(refresh.cost).toEqual({ status: 200, dbCalls: 1 })
    const refreshed = JSON.parse(refresh.body) as { refreshToken: string }
    const logOut = await costOf('/api/auth/logout', post({ refreshToken: refreshed.refreshToken }))
    expect(logOut.cost).toEqual({ status: 204, dbCalls: 1 })
  })
})

describe('answers that need no data, on the built app', () => {
  it('answer hello without the database, cacheable by a CDN', async () => {
    const { response, cost } = await costOf('/api/hello')
    expect(cost).toEqual({ status: 200, dbCalls: 0 })
    expect(response.headers.get('cache-control')).toBe(HELLO_CACHE_CONTROL)
  })

  it('serve the docs as files, with no API function run, cacheable by a CDN and revalidated by ETag', async () => {
    const requestIds: string[] = []
    for (const path of Object.keys(API_DOCS_FILES)) {
      const requestId = `e2e-static-${Date.now()}-${sequence++}`
      requestIds.push(requestId)
      const response = await checkedFetch(`${baseUrl}${path}`, { headers: { 'X-Request-Id': requestId } })
      await response.arrayBuffer()
      expect(response.status, path).toBe(200)
      expect(response.headers.get('cache-control'), path).toBe(API_DOCS_CACHE_CONTROL)
      const etag = response.headers.get('etag')
      expect(etag, path).toBeTruthy()
      // As a CDN revalidates. Without a Cache-Control of its own, fetch() adds `no-cache` to a conditional request
      // (the Fetch standard), which makes Next answer in full.
      const again = await fetch(`${baseUrl}${path}`, {
        headers: { 'If-None-Match': etag ?? '', 'Cache-Control': 'max-age=0' },
      })
      expect(again.status, path).toBe(304)
    }
    // A later request's log line is written: had the API run for the docs, their lines would be there before it.
    await costOf('/api/hello')
    for (const requestId of requestIds) expect(serverOutput()).not.toContain(requestId)
  })
})

describe('a page visit whose session cookie has expired, on the built app', () => {
  it('costs two extra browser round trips to renew the session (decision 0025)', async () => {
    const email = `e2e-expired-${crypto.randomUUID().slice(0, 8)}@example.test`
    const signUp = await checkedFetch(
      `${baseUrl}/api/auth/signup`,
      post({ name: 'Expired', email, password: 'an expired session password' }),
    )
    expect(signUp.status).toBe(201)
    const { refreshToken } = (await signUp.json()) as { refreshToken: string }
    const sessionId = /__Host-edgeline_sid=([^;]+)/.exec(signUp.headers.getSetCookie().join('\n'))?.[1]
    // The session cookie is gone (its Max-Age ran out); the refresh cookie is sent to /api/auth paths only, the
    // session-id cookie (which binds it) everywhere.
    const cookiesFor = (path: string, session?: string) =>
      [
        ...(path.startsWith('/api/auth/') ? [`__Secure-edgeline_refresh=${refreshToken}`] : []),
        `__Host-edgeline_sid=${sessionId}`,
        ...(session ? [`__Host-edgeline_session=${session}`] : []),
      ].join('; ')
    const trail: string[] = []
    let location = '/account'
    let session: string | undefined
    let status = 0
    for (let hop = 0; hop < 5 && status !== 200; hop++) {
      trail.push(location)
      const response = await fetch(`${baseUrl}${location}`, {
        headers: { cookie: cookiesFor(location, session) },
        redirect: 'manual',
      })
      await response.arrayBuffer()
      status = response.status
      const set = response.headers
        .getSetCookie()
        .find((cookie) => cookie.startsWith('__Host-edgeline_session='))
      if (set) session = set.slice('__Host-edgeline_session='.length).split(';')[0]
      const next = response.headers.get('location')
      if (next) location = new URL(next, baseUrl).pathname + new URL(next, baseUrl).search
    }
    expect(trail).toEqual(['/account', '/api/auth/resume?next=%2Faccount', '/account'])
    expect(status).toBe(200)
  })
})
