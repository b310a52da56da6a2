/**
 * What each API journey costs, counted, never timed: database round trips (HTTP requests from the Neon driver to the
 * endpoint) and every other HTTP request made while answering (an internal hop to our own API would be one). One
 * extra of either fails a test.
 */
import { neonConfig } from '@neondatabase/serverless'
import { NextRequest } from 'next/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_DOCS_CACHE_CONTROL, API_DOCS_FILES } from '../../edge/openapi'
import { HELLO_CACHE_CONTROL } from '../../edge/routes/hello'
import { middleware } from '../../middleware'
import nextConfig from '../../next.config'
import {
  type Client,
  createAccount,
  createTestApp,
  createUserViaApi,
  jsonInit,
  refreshCookies,
  type SessionBody,
  signTestToken,
  testAuthConfig,
  uniqueEmail,
  withToken,
} from './support'

// The driver's fetchFunction and the global fetch are global, and tests in a file run one at a time, so the counts
// are this test's own. The driver's requests go to the original fetch, so they count once, as round trips.
let requestsToDatabase = 0
let otherRequests = 0
const originalFetchFunction: unknown = neonConfig.fetchFunction
const originalFetch = globalThis.fetch

beforeAll(() => {
  neonConfig.fetchFunction = (input: RequestInfo | URL, init?: RequestInit) => {
    requestsToDatabase += 1
    return originalFetch(input, init)
  }
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    otherRequests += 1
    return originalFetch(input, init)
  }
})

afterAll(() => {
  neonConfig.fetchFunction = originalFetchFunction
  globalThis.fetch = originalFetch
})

const { app: server } = createTestApp()
// Signed in as an admin before any count starts: verifying a token costs no round trip, so nothing else changes.
let app: Client
beforeAll(async () => {
  app = withToken(server, (await createAccount(server, 'admin')).accessToken)
})

interface Cost {
  status: number
  roundTrips: number
  otherRequests: number
}

async function costOf(request: () => Response | Promise<Response>): Promise<Cost> {
  const before = { database: requestsToDatabase, other: otherRequests }
  const response = await request()
  await response.arrayBuffer()
  return {
    status: response.status,
    roundTrips: requestsToDatabase - before.database,
    otherRequests: otherRequests - before.other,
  }
}

/** Each case: a name, the request, its status, and the database round trips it may cost (never another request). */
type CostCase = [string, () => Response | Promise<Response>, number, number]

async function expectCosts(cases: CostCase[]) {
  for (const [name, request, status, roundTrips] of cases) {
    expect(await costOf(request), name).toEqual({ status, roundTrips, otherRequests: 0 })
  }
}

describe('database round trips per request', () => {
  it('costs one round trip for each data endpoint, whatever the outcome', async () => {
    const taken = await createUserViaApi(app, { name: 'Taken', email: uniqueEmail('taken') })
    const user = await createUserViaApi(app, { name: 'Counted', email: uniqueEmail('count') })
    const cases: [string, () => Response | Promise<Response>, number][] = [
      ['list', () => app.request('/api/users?limit=5'), 200],
      ['search', () => app.request('/api/users?q=count&limit=5'), 200],
      [
        'create',
        () => app.request('/api/users', jsonInit('POST', { name: 'N', email: uniqueEmail('n') })),
        201,
      ],
      [
        'create duplicate',
        () => app.request('/api/users', jsonInit('POST', { name: 'N', email: taken.email })),
        409,
      ],
      ['get', () => app.request(`/api/users/${user.id}`), 200],
      ['get missing', () => app.request('/api/users/2147483647'), 404],
      ['patch', () => app.request(`/api/users/${user.id}`, jsonInit('PATCH', { name: 'Renamed' })), 200],
      ['patch missing', () => app.request('/api/users/2147483647', jsonInit('PATCH', { name: 'X' })), 404],
      [
        'patch duplicate',
        () => app.request(`/api/users/${user.id}`, jsonInit('PATCH', { email: taken.email })),
        409,
      ],
      ['delete', () => app.request(`/api/users/${user.id}`, { method: 'DELETE' }), 204],
      ['delete missing', () => app.request(`/api/users/${user.id}`, { method: 'DELETE' }), 404],
      ['health', () => app.request('/api/health'), 200],
    ]
    await expectCosts(cases.map(([name, request, status]) => [name, request, status, 1]))
  })

  it('costs no round trip for requests rejected before the database', async () => {
    const cases: [string, () => Response | Promise<Response>, number][] = [
      ['hello', () => app.request('/api/hello'), 200],
      ['bad id', () => app.request('/api/users/abc'), 400],
      ['bad limit', () => app.request('/api/users?limit=1000'), 400],
      ['invalid body', () => app.request('/api/users', jsonInit('POST', { name: '' })), 422],
      ['malformed JSON', () => app.request('/api/users', jsonInit('POST', '{')), 400],
      ['unknown path', () => app.request('/api/nope'), 404],
      ['wrong method', () => app.request('/api/users', { method: 'PUT' }), 405],
    ]
    await expectCosts(cases.map(([name, request, status]) => [name, request, status, 0]))
  })
})

describe('database round trips of conditional requests', () => {
  it('costs one round trip whether the condition holds or not', async () => {
    const user = await createUserViaApi(app, { name: 'Conditional', email: uniqueEmail('cond') })
    const first = await app.request(`/api/users/${user.id}`)
    const etag = first.headers.get('etag') ?? ''
    expect(etag).not.toBe('')
    const ifMatch = (value: string) => ({ 'If-Match': value })
    const cases: [string, () => Response | Promise<Response>, number][] = [
      [
        'get, not modified',
        () => app.request(`/api/users/${user.id}`, { headers: { 'If-None-Match': etag } }),
        304,
      ],
      [
        'get, modified',
        () => app.request(`/api/users/${user.id}`, { headers: { 'If-None-Match': '"0"' } }),
        200,
      ],
      [
        'patch, current',
        () => app.request(`/api/users/${user.id}`, jsonInit('PATCH', { name: 'A' }, ifMatch(etag))),
        200,
      ],
      [
        'patch, stale',
        () => app.request(`/api/users/${user.id}`, jsonInit('PATCH', { name: 'B' }, ifMatch(etag))),
        412,
      ],
      [
        'patch missing',
        () => app.request('/api/users/2147483647', jsonInit('PATCH', { name: 'C' }, ifMatch(etag))),
        404,
      ],
      [
        'delete, stale',
        () => app.request(`/api/users/${user.id}`, { method: 'DELETE', headers: ifMatch(etag) }),
        412,
      ],
      [
        'delete, any',
        () => app.request(`/api/users/${user.id}`, { method: 'DELETE', headers: ifMatch('*') }),
        204,
      ],
      [
        'delete missing',
        () => app.request(`/api/users/${user.id}`, { method: 'DELETE', headers: ifMatch(etag) }),
        404,
      ],
    ]
    await expectCosts(cases.map(([name, request, status]) => [name, request, status, 1]))
  })
})

describe('database round trips of idempotent creates', () => {
  it('costs one round trip to create with a key, to replay, and to refuse a reused key', async () => {
    const key = crypto.randomUUID()
    const body = { name: 'Keyed', email: uniqueEmail('keyed') }
    const keyed = (json: unknown, idempotencyKey = key) =>
      app.request('/api/users', jsonInit('POST', json, { 'Idempotency-Key': idempotencyKey }))
    const signupKey = crypto.randomUUID()
    const signup = { name: 'Keyed', email: uniqueEmail('keyedsignup'), password: 'a password for counting' }
    const keyedSignup = (json: unknown) =>
      server.request('/api/auth/signup', jsonInit('POST', json, { 'Idempotency-Key': signupKey }))
    const cases: [string, () => Response | Promise<Response>, number, number][] = [
      ['create', () => keyed(body), 201, 1],
      ['replay', () => keyed(body), 201, 1],
      ['reused key', () => keyed({ ...body, name: 'Other' }), 422, 1],
      ['malformed key', () => keyed(body, 'not a key'), 400, 0],
      ['sign-up', () => keyedSignup(signup), 201, 1],
      ['sign-up replay', () => keyedSignup(signup), 201, 1],
      ['sign-up, reused key', () => keyedSignup({ ...signup, password: 'another password' }), 422, 1],
    ]
    await expectCosts(cases)
  })
})

describe('database round trips of authentication', () => {
  it('costs none to verify a token, refuse one, or refuse a forbidden action', async () => {
    const user = withToken(server, () => signTestToken({ userId: '1', role: 'user' }))
    const cases: [string, () => Response | Promise<Response>, number][] = [
      ['signed out', () => server.request('/api/users'), 401],
      [
        'forged token',
        () => server.request('/api/users', { headers: { Authorization: 'Bearer x.y.z' } }),
        401,
      ],
      [
        'forbidden create',
        () => user.request('/api/users', jsonInit('POST', { name: 'N', email: uniqueEmail('f') })),
        403,
      ],
      ['forbidden delete', () => user.request('/api/users/2', { method: 'DELETE' }), 403],
      [
        'malformed refresh token',
        () => server.request('/api/auth/refresh', jsonInit('POST', { refreshToken: 'x' })),
        401,
      ],
    ]
    await expectCosts(cases.map(([name, request, status]) => [name, request, status, 0]))
  })
})

describe('database round trips of the auth journeys', () => {
  const THROTTLE = { maxFailuresPerEmail: 2, maxFailuresPerClient: 50, windowSeconds: 600 }
  const { app: throttled } = createTestApp({ config: { auth: testAuthConfig({ loginThrottle: THROTTLE }) } })
  const password = 'a password for counting'
  const newPassword = 'a new password for counting'
  const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` })

  it('costs one for sign-up, refresh, resume, who-am-I and log-out; two for a log-in and a password change', async () => {
    const email = uniqueEmail('journey')
    let session = { accessToken: '', refreshToken: '' }
    const keep = async (response: Response | Promise<Response>) => {
      const resolved = await response
      if (resolved.ok) session = (await resolved.clone().json()) as SessionBody
      return resolved
    }
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      server.request(path, jsonInit('POST', body, headers))
    await expectCosts([
      ['sign-up', () => keep(post('/api/auth/signup', { name: 'J', email, password })), 201, 1],
      ['sign-up, email taken', () => post('/api/auth/signup', { name: 'J', email, password }), 409, 1],
      // The stored hash is read (and the attempt counted) before anything is written: two is the floor.
      ['log-in', () => keep(post('/api/auth/login', { email, password })), 200, 2],
      // A failure is counted by the statement that reads the hash: nothing more to write.
      ['log-in, wrong password', () => post('/api/auth/login', { email, password: 'wrong' }), 401, 1],
      [
        'log-in, unknown email',
        () => post('/api/auth/login', { email: uniqueEmail('nobody'), password }),
        401,
        1,
      ],
      ['who am I', () => server.request('/api/auth/me', { headers: bearer(session.accessToken) }), 200, 1],
      [
        'password change, wrong current password',
        () =>
          post('/api/auth/password', { currentPassword: 'wrong', newPassword }, bearer(session.accessToken)),
        422,
        1,
      ],
      [
        'password change',
        () =>
          keep(
            post(
              '/api/auth/password',
              { currentPassword: password, newPassword },
              bearer(session.accessToken),
            ),
          ),
        200,
        2,
      ],
      ['refresh', () => keep(post('/api/auth/refresh', { refreshToken: session.refreshToken })), 200, 1],
      [
        'resume (a browser renewing its session)',
        () =>
          keep(
            server.request('/api/auth/resume?next=/users', {
              headers: { cookie: refreshCookies(session) },
            }),
          ),
        303,
        1,
      ],
      ['resume without a refresh cookie', () => server.request('/api/auth/resume?next=/users'), 303, 0],
      [
        'log-out by refresh token',
        () => post('/api/auth/logout', { refreshToken: session.refreshToken }),
        204,
        1,
      ],
      [
        'log-out by the access token alone',
        () => post('/api/auth/logout', {}, bearer(session.accessToken)),
        204,
        1,
      ],
      ['log-out with nothing to end', () => post('/api/auth/logout', {}), 204, 0],
    ])
  })

  it('costs one for a throttled log-in or password check, refused before the password is checked', async () => {
    const email = uniqueEmail('throttled')
    const signedUp = await throttled.request(
      '/api/auth/signup',
      jsonInit('POST', { name: 'T', email, password }),
    )
    const { accessToken } = (await signedUp.json()) as SessionBody
    const logIn = (attempt: string) =>
      throttled.request('/api/auth/login', jsonInit('POST', { email, password: attempt }))
    await expectCosts([
      ['first failure', () => logIn('wrong 1'), 401, 1],
      ['second failure', () => logIn('wrong 2'), 401, 1],
      ['throttled log-in', () => logIn(password), 429, 1],
      [
        'throttled password check',
        () =>
          throttled.request(
            '/api/auth/password',
            jsonInit('POST', { currentPassword: password, newPassword }, bearer(accessToken)),
          ),
        429,
        1,
      ],
    ])
  })

  it('costs none for a password change whose body fails validation, or by a token of no account of ours', async () => {
    const outsider = await signTestToken({ userId: 'idp|someone', role: 'user' })
    const { accessToken } = await createAccount(server)
    await expectCosts([
      [
        'new password too short',
        () =>
          server.request(
            '/api/auth/password',
            jsonInit('POST', { currentPassword: 'x', newPassword: 'short' }, bearer(accessToken)),
          ),
        422,
        0,
      ],
      [
        'subject of an external identity provider',
        () =>
          server.request(
            '/api/auth/password',
            jsonInit('POST', { currentPassword: 'x', newPassword }, bearer(outsider)),
          ),
        403,
        0,
      ],
    ])
  })
})

describe('answers that need no data', () => {
  const BASE = 'http://localhost:3000'
  const atTheEdge =
    (path: string, init: { method?: string; headers?: Record<string, string> } = {}) =>
    () =>
      middleware(new NextRequest(new URL(path, BASE), init))

  it('are answered by the middleware without a round trip or any request: 401, 405, a page sent to log in', async () => {
    await expectCosts([
      ['API without a session', atTheEdge('/api/users'), 401, 0],
      [
        'API with a forged token',
        atTheEdge('/api/users', { headers: { authorization: 'Bearer x.y.z' } }),
        401,
        0,
      ],
      ['unknown API path without a session', atTheEdge('/api/nope'), 401, 0],
      ['a write to the OpenAPI document', atTheEdge('/api/openapi.json', { method: 'POST' }), 405, 0],
      ['a method nobody implements', atTheEdge('/api/users', { method: 'PROPFIND' }), 501, 0],
      ['a page without a session', atTheEdge('/users'), 303, 0],
    ])
  })

  it('let the docs through the middleware to the static files, without a round trip or any request', async () => {
    for (const path of Object.keys(API_DOCS_FILES)) {
      const cost = await costOf(atTheEdge(path))
      expect(cost, path).toEqual({ status: 200, roundTrips: 0, otherRequests: 0 })
    }
  })

  it('are answered by the app without a round trip or any request: hello, 404, 405', async () => {
    await expectCosts([
      ['hello', () => server.request('/api/hello'), 200, 0],
      ['hello, signed in', () => app.request('/api/hello'), 200, 0],
      ['unknown path', () => app.request('/api/nope'), 404, 0],
      ['wrong method', () => app.request('/api/hello', { method: 'POST' }), 405, 0],
      ['wrong method on a data route', () => app.request('/api/users', { method: 'PUT' }), 405, 0],
    ])
  })

  it('say how long the static ones may be cached, so that a CDN can answer them without a function', async () => {
    const hello = await server.request('/api/hello')
    expect(hello.headers.get('cache-control')).toBe(HELLO_CACHE_CONTROL)
    expect(HELLO_CACHE_CONTROL).toMatch(/^public, .*s-maxage=\d+/)
    // The docs are files, served by Next (on both servers) with the headers next.config.ts gives them.
    const rules = (await nextConfig.headers?.()) ?? []
    for (const path of Object.keys(API_DOCS_FILES)) {
      const rule = rules.find((candidate) => candidate.source === path)
      expect(rule?.headers, path).toEqual([{ key: 'Cache-Control', value: API_DOCS_CACHE_CONTROL }])
    }
    expect(API_DOCS_CACHE_CONTROL).toMatch(/^public, .*s-maxage=\d+/)
  })

  it('never let an answer that carries tokens be cached', async () => {
    const email = uniqueEmail('nocache')
    const response = await server.request(
      '/api/auth/signup',
      jsonInit('POST', { name: 'N', email, password: 'a password for caching' }),
    )
    expect(response.status).toBe(201)
    expect(response.headers.get('cache-control')).toBe('no-store')
  })
})

describe('concurrent creates', () => {
  it('answers one 201 and one 409 when two requests create the same email at once', async () => {
    const email = uniqueEmail('race')
    const responses = await Promise.all([
      app.request('/api/users', jsonInit('POST', { name: 'Racer A', email })),
      app.request('/api/users', jsonInit('POST', { name: 'Racer B', email: email.toUpperCase() })),
    ])
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409])
  })

  it('answers exactly one 201 when many requests race for one email', async () => {
    const email = uniqueEmail('stampede')
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        app.request('/api/users', jsonInit('POST', { name: `R${index}`, email })),
      ),
    )
    const statuses = responses.map((response) => response.status)
    expect(statuses.filter((status) => status === 201)).toHaveLength(1)
    expect(statuses.filter((status) => status === 409)).toHaveLength(7)
  })
})
