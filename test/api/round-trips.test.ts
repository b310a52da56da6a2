import { neonConfig } from '@neondatabase/serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Client,
  createAccount,
  createTestApp,
  createUserViaApi,
  jsonInit,
  signTestToken,
  uniqueEmail,
  withToken,
} from './support'

// Counts the HTTP requests the Neon driver sends to the endpoint: one request is one database round trip.
// fetchFunction is global to the driver, and tests in a file run one at a time, so the count is this test's own.
let requestsToDatabase = 0
const originalFetchFunction: unknown = neonConfig.fetchFunction

beforeAll(() => {
  neonConfig.fetchFunction = (input: RequestInfo | URL, init?: RequestInit) => {
    requestsToDatabase += 1
    return fetch(input, init)
  }
})

afterAll(() => {
  neonConfig.fetchFunction = originalFetchFunction
})

const { app: server } = createTestApp()
// Signed in as an admin before any count starts: verifying a token costs no round trip, so nothing else changes.
let app: Client
beforeAll(async () => {
  app = withToken(server, (await createAccount(server, 'admin')).accessToken)
})

async function roundTripsOf(
  request: () => Response | Promise<Response>,
): Promise<{ status: number; roundTrips: number }> {
  const before = requestsToDatabase
  const response = await request()
  await response.arrayBuffer()
  return { status: response.status, roundTrips: requestsToDatabase - before }
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
    for (const [name, request, expectedStatus] of cases) {
      expect(await roundTripsOf(request), name).toEqual({ status: expectedStatus, roundTrips: 1 })
    }
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
    for (const [name, request, expectedStatus] of cases) {
      expect(await roundTripsOf(request), name).toEqual({ status: expectedStatus, roundTrips: 0 })
    }
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
    for (const [name, request, expectedStatus] of cases) {
      expect(await roundTripsOf(request), name).toEqual({ status: expectedStatus, roundTrips: 1 })
    }
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
    for (const [name, request, expectedStatus, roundTrips] of cases) {
      expect(await roundTripsOf(request), name).toEqual({ status: expectedStatus, roundTrips })
    }
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
    for (const [name, request, expectedStatus] of cases) {
      expect(await roundTripsOf(request), name).toEqual({ status: expectedStatus, roundTrips: 0 })
    }
  })

  it('costs one round trip per auth step, and two for a successful log-in', async () => {
    const email = uniqueEmail('trips')
    const password = 'a password for counting'
    let session = { accessToken: '', refreshToken: '' }
    const keep = async (response: Response | Promise<Response>) => {
      const resolved = await response
      session = (await resolved.clone().json()) as typeof session
      return resolved
    }
    const cases: [string, () => Response | Promise<Response>, number, number][] = [
      [
        'signup',
        () => keep(server.request('/api/auth/signup', jsonInit('POST', { name: 'T', email, password }))),
        201,
        1,
      ],
      [
        'failed log-in (counted and refused)',
        () => server.request('/api/auth/login', jsonInit('POST', { email, password: 'wrong' })),
        401,
        1,
      ],
      [
        'log-in (counted, then the session stored)',
        () => keep(server.request('/api/auth/login', jsonInit('POST', { email, password }))),
        200,
        2,
      ],
      [
        'refresh',
        () =>
          keep(server.request('/api/auth/refresh', jsonInit('POST', { refreshToken: session.refreshToken }))),
        200,
        1,
      ],
      [
        'me',
        () => server.request('/api/auth/me', { headers: { Authorization: `Bearer ${session.accessToken}` } }),
        200,
        1,
      ],
      [
        'logout',
        () => server.request('/api/auth/logout', jsonInit('POST', { refreshToken: session.refreshToken })),
        204,
        1,
      ],
    ]
    for (const [name, request, expectedStatus, roundTrips] of cases) {
      expect(await roundTripsOf(request), name).toEqual({ status: expectedStatus, roundTrips })
    }
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
