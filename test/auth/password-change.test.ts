/** Password change: the current password checked and throttled like a log-in; every session ends, a new one begins. */
import { neonConfig } from '@neondatabase/serverless'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../../edge/openapi-document'
import {
  answeringRuntime,
  createAccount,
  createTestApp,
  createUserViaApi,
  expectThrottled,
  jsonInit,
  type ProblemBody,
  type SessionBody,
  signTestToken,
  testAuthConfig,
  uniqueEmail,
} from '../api/support'

type App = ReturnType<typeof createTestApp>['app']

const { app } = createTestApp()
const PASSWORD = 'the current password'
const NEW_PASSWORD = 'a brand new password'

async function signUp(target: App = app) {
  const email = uniqueEmail('pwchange')
  const response = await target.request(
    '/api/auth/signup',
    jsonInit('POST', { name: 'Changer', email, password: PASSWORD }),
  )
  expect(response.status, await response.clone().text()).toBe(201)
  return { email, session: (await response.json()) as SessionBody }
}

const changePassword = (accessToken: string, body: unknown, target: App = app) =>
  target.request('/api/auth/password', jsonInit('POST', body, { Authorization: `Bearer ${accessToken}` }))
const logIn = (email: string, password: string, target: App = app) =>
  target.request('/api/auth/login', jsonInit('POST', { email, password }))
const refresh = (refreshToken: string) => app.request('/api/auth/refresh', jsonInit('POST', { refreshToken }))
const me = (accessToken: string) =>
  app.request('/api/auth/me', { headers: { Authorization: `Bearer ${accessToken}` } })

async function expectWrongPassword(response: Response) {
  expect(response.status).toBe(422)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  const text = await response.text()
  expect(text).not.toContain(PASSWORD)
  expect(text).not.toContain(NEW_PASSWORD)
  const problem = JSON.parse(text) as ProblemBody
  expect(problem).toMatchObject({ type: '/problems/wrong-password', status: 422 })
  expect(problem.errors).toEqual([
    {
      field: 'currentPassword',
      in: 'body',
      detail: 'The current password is wrong.',
      pointer: '#/currentPassword',
    },
  ])
  return problem
}

describe('POST /api/auth/password', () => {
  it('changes the password: the old one no longer logs in, the new one does', async () => {
    const { email, session } = await signUp()
    const response = await changePassword(session.accessToken, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    })
    expect(response.status, await response.clone().text()).toBe(200)
    expect((await logIn(email, PASSWORD)).status).toBe(401)
    expect((await logIn(email, NEW_PASSWORD)).status).toBe(200)
  })

  it('ends every session of the account, the caller’s included, and answers with a new one', async () => {
    const { email, session } = await signUp()
    const otherDevice = (await (await logIn(email, PASSWORD)).json()) as SessionBody
    const response = await changePassword(session.accessToken, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    })
    expect(response.status).toBe(200)
    const fresh = (await response.json()) as SessionBody
    expect(fresh).toMatchObject({
      user: { id: session.user.id, email, role: 'user' },
      tokenType: 'Bearer',
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
    })
    expect(fresh.refreshToken).not.toBe(session.refreshToken)

    expect((await refresh(session.refreshToken)).status).toBe(401)
    expect((await refresh(otherDevice.refreshToken)).status).toBe(401)
    expect((await me(fresh.accessToken)).status).toBe(200)
    const rotated = await refresh(fresh.refreshToken)
    expect(rotated.status).toBe(200)
    expect(await rotated.json()).toMatchObject({ userId: String(session.user.id), role: 'user' })
  })

  it('sets the new session’s cookies, forbids caching, and never returns a password or its hash', async () => {
    const { session } = await signUp()
    const response = await changePassword(session.accessToken, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const cookies = response.headers.getSetCookie()
    expect(cookies.find((cookie) => cookie.startsWith('__Host-edgeline_session='))).toMatch(/HttpOnly/)
    expect(cookies.find((cookie) => cookie.startsWith('__Secure-edgeline_refresh='))).toMatch(
      /Path=\/api\/auth/,
    )
    expect(await response.text()).not.toMatch(/pbkdf2|password/i)
  })

  it('accepts the session cookie as browsers send it', async () => {
    const { email, session } = await signUp()
    const response = await app.request(
      '/api/auth/password',
      jsonInit(
        'POST',
        { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        { Cookie: `__Host-edgeline_session=${session.accessToken}` },
      ),
    )
    expect(response.status).toBe(200)
    expect((await logIn(email, NEW_PASSWORD)).status).toBe(200)
  })

  it('answers 422 with a field error on currentPassword when it is wrong, and changes nothing', async () => {
    const { email, session } = await signUp()
    await expectWrongPassword(
      await changePassword(session.accessToken, {
        currentPassword: 'not the current password',
        newPassword: NEW_PASSWORD,
      }),
    )
    expect((await refresh(session.refreshToken)).status).toBe(200)
    expect((await logIn(email, NEW_PASSWORD)).status).toBe(401)
    expect((await logIn(email, PASSWORD)).status).toBe(200)
  })

  it('gives the same answer to an account that has no password', async () => {
    const admin = await createAccount(app, 'admin')
    const user = await createUserViaApi(admin.client, { name: 'No Password', email: uniqueEmail('nopass') })
    const token = await signTestToken({ userId: String(user.id), role: 'user' })
    const wrong = await expectWrongPassword(
      await changePassword(token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    )
    expect(wrong.detail).toBe('The current password is wrong.')
    expect((await logIn(user.email, NEW_PASSWORD)).status).toBe(401)
  })

  it('answers 422 for a new password shorter than sign-up allows, without echoing either password', async () => {
    const { email, session } = await signUp()
    const response = await changePassword(session.accessToken, {
      currentPassword: PASSWORD,
      newPassword: 'short',
    })
    expect(response.status).toBe(422)
    const text = await response.text()
    expect(text).not.toContain('short"')
    expect(text).not.toContain(PASSWORD)
    const problem = JSON.parse(text) as ProblemBody
    expect(problem.type).toBe('/problems/validation-failed')
    expect(problem.errors?.map((error) => error.field)).toEqual(['newPassword'])
    expect((await logIn(email, PASSWORD)).status).toBe(200)
  })

  it('answers 422 for a missing or empty current password', async () => {
    const { session } = await signUp()
    for (const body of [{ newPassword: NEW_PASSWORD }, { currentPassword: '', newPassword: NEW_PASSWORD }]) {
      const response = await changePassword(session.accessToken, body)
      expect(response.status).toBe(422)
      const problem = (await response.json()) as ProblemBody
      expect(problem.type).toBe('/problems/validation-failed')
      expect(problem.errors?.map((error) => error.field)).toEqual(['currentPassword'])
    }
  })

  it('needs a session', async () => {
    const response = await app.request(
      '/api/auth/password',
      jsonInit('POST', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    )
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="edgeline"')
    expect(((await response.json()) as ProblemBody).type).toBe('/problems/unauthorized')
  })

  it('answers 403 to a subject of an external identity provider, which has no password here', async () => {
    const token = await signTestToken({ userId: 'auth0|5f7c8ec7c33c6c004bbafe82', role: 'user' })
    const response = await changePassword(token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
    expect(response.status).toBe(403)
    expect(((await response.json()) as ProblemBody).type).toBe('/problems/forbidden')
  })

  it('answers 404 when the account of a still-valid access token was deleted', async () => {
    const { session } = await signUp()
    const deleted = await app.request(`/api/users/${session.user.id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${session.accessToken}` },
    })
    expect(deleted.status).toBe(204)
    const response = await changePassword(session.accessToken, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    })
    expect(response.status).toBe(404)
    expect(((await response.json()) as ProblemBody).type).toBe('/problems/not-found')
  })

  it('lets only one of two simultaneous changes win', async () => {
    const { email, session } = await signUp()
    const [first, second] = await Promise.all(
      ['first new password', 'second new password'].map((newPassword) =>
        changePassword(session.accessToken, { currentPassword: PASSWORD, newPassword }),
      ),
    )
    const statuses = [first?.status, second?.status].sort()
    expect(statuses).toEqual([200, 422])
    const winner = first?.status === 200 ? 'first new password' : 'second new password'
    expect((await logIn(email, winner)).status).toBe(200)
  })
})

describe('throttling of the current password', () => {
  const WINDOW_SECONDS = 600
  const { app: throttled } = createTestApp({
    config: {
      auth: testAuthConfig({
        loginThrottle: { maxFailuresPerEmail: 3, maxFailuresPerClient: 20, windowSeconds: WINDOW_SECONDS },
      }),
    },
  })
  const guess = (accessToken: string, currentPassword: string) =>
    changePassword(accessToken, { currentPassword, newPassword: NEW_PASSWORD }, throttled)

  it('answers 429 with Retry-After after too many wrong guesses, even to the right password', async () => {
    const { email, session } = await signUp(throttled)
    for (let attempt = 0; attempt < 3; attempt++) {
      await expectWrongPassword(await guess(session.accessToken, `wrong guess ${attempt}`))
    }
    await expectThrottled(await guess(session.accessToken, 'wrong again'), WINDOW_SECONDS)
    await expectThrottled(await guess(session.accessToken, PASSWORD), WINDOW_SECONDS)
    // The very same bucket as log-in's: a stolen access token cannot buy a second set of guesses.
    await expectThrottled(await logIn(email, PASSWORD, throttled), WINDOW_SECONDS)
  })

  it('adds failed log-ins and wrong current passwords up in one count', async () => {
    const { email, session } = await signUp(throttled)
    expect((await logIn(email, 'wrong', throttled)).status).toBe(401)
    expect((await logIn(email, 'wrong', throttled)).status).toBe(401)
    await expectWrongPassword(await guess(session.accessToken, 'wrong'))
    await expectThrottled(await guess(session.accessToken, PASSWORD), WINDOW_SECONDS)
  })

  it('counts in the bucket log-in uses, whatever the case of the email at sign-up and at log-in', async () => {
    // The password check finds the email's bucket from the stored address, in SQL; log-in hashes the typed one.
    const email = `Mixed.Case_${crypto.randomUUID().slice(0, 8)}@Example.TEST`
    const signedUp = await throttled.request(
      '/api/auth/signup',
      jsonInit('POST', { name: 'Cased', email, password: PASSWORD }),
    )
    expect(signedUp.status).toBe(201)
    const session = (await signedUp.json()) as SessionBody
    expect((await logIn(email.toLowerCase(), 'wrong', throttled)).status).toBe(401)
    await expectWrongPassword(await guess(session.accessToken, 'wrong'))
    expect((await logIn(` ${email.toUpperCase()} `, 'wrong', throttled)).status).toBe(401)
    await expectThrottled(await guess(session.accessToken, PASSWORD), WINDOW_SECONDS)
    await expectThrottled(await logIn(email, PASSWORD, throttled), WINDOW_SECONDS)
  })

  it('does not let parallel guesses slip past the limit', async () => {
    const { session } = await signUp(throttled)
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, index) => guess(session.accessToken, `parallel ${index}`)),
    )
    expect(responses.map((response) => response.status).sort()).toEqual([422, 422, 422, 429, 429, 429])
  })

  it('forgets the failures after a successful change, as a successful log-in does', async () => {
    const { session } = await signUp(throttled)
    await expectWrongPassword(await guess(session.accessToken, 'wrong'))
    await expectWrongPassword(await guess(session.accessToken, 'wrong'))
    const changed = await guess(session.accessToken, PASSWORD)
    expect(changed.status).toBe(200)
    const fresh = (await changed.json()) as SessionBody
    for (let attempt = 0; attempt < 3; attempt++) {
      await expectWrongPassword(await guess(fresh.accessToken, 'wrong'))
    }
  })

  it('spends no attempt on a body that fails validation', async () => {
    const { session } = await signUp(throttled)
    for (let attempt = 0; attempt < 4; attempt++) {
      expect(
        (
          await changePassword(
            session.accessToken,
            { currentPassword: PASSWORD, newPassword: 'short' },
            throttled,
          )
        ).status,
      ).toBe(422)
    }
    expect((await guess(session.accessToken, PASSWORD)).status).toBe(200)
  })
})

// Counted by wrapping the driver's fetch in this process: under workerd the driver runs in the Worker, out of sight.
describe.skipIf(answeringRuntime === 'workerd')('database round trips of a password change', () => {
  it('costs two on success (the count with the account, the change) and one for a wrong password', async () => {
    let requestsToDatabase = 0
    const originalFetchFunction: unknown = neonConfig.fetchFunction
    neonConfig.fetchFunction = (input: RequestInfo | URL, init?: RequestInit) => {
      requestsToDatabase += 1
      return fetch(input, init)
    }
    try {
      const { session } = await signUp()
      const roundTripsOf = async (body: unknown) => {
        const before = requestsToDatabase
        const response = await changePassword(session.accessToken, body)
        await response.arrayBuffer()
        return { status: response.status, roundTrips: requestsToDatabase - before }
      }
      expect(await roundTripsOf({ currentPassword: PASSWORD, newPassword: 'short' })).toEqual({
        status: 422,
        roundTrips: 0,
      })
      expect(await roundTripsOf({ currentPassword: 'wrong', newPassword: NEW_PASSWORD })).toEqual({
        status: 422,
        roundTrips: 1,
      })
      expect(await roundTripsOf({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).toEqual({
        status: 200,
        roundTrips: 2,
      })
    } finally {
      neonConfig.fetchFunction = originalFetchFunction
    }
  })
})

describe('the OpenAPI document', () => {
  it('lists POST /api/auth/password behind a session, with its body and every answer', async () => {
    const document = openApiDocument(app) as unknown as {
      paths: Record<string, Record<string, { security?: unknown; requestBody?: unknown; responses: object }>>
    }
    const operation = document.paths['/api/auth/password']?.post
    expect(operation).toBeDefined()
    expect(operation?.security).toBeUndefined()
    expect(JSON.stringify(operation?.requestBody)).toContain('#/components/schemas/ChangePassword')
    expect(Object.keys(operation?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '401', '403', '404', '422', '429', '500']),
    )
  })
})
