/** Brute force: failed log-ins per email and per client are counted in Postgres, and past a limit answer 429. */
import { describe, expect, it } from 'vitest'
import {
  createTestApp,
  expectThrottled,
  jsonInit,
  type SessionBody,
  testAuthConfig,
  uniqueEmail,
} from '../api/support'

const WINDOW_SECONDS = 600
const auth = testAuthConfig({
  loginThrottle: { maxFailuresPerEmail: 3, maxFailuresPerClient: 6, windowSeconds: WINDOW_SECONDS },
})
const { app } = createTestApp({ config: { auth } })
const PASSWORD = 'the right password'

/** A client address no other test (or earlier run on a shared database) uses. */
const uniqueClient = () => `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`

async function signUp(): Promise<string> {
  const email = uniqueEmail('throttle')
  const response = await app.request(
    '/api/auth/signup',
    jsonInit('POST', { name: 'T', email, password: PASSWORD }),
  )
  expect(response.status).toBe(201)
  return email
}

const logIn = (email: string, password: string, client: string) =>
  app.request(
    '/api/auth/login',
    jsonInit('POST', { email, password }, { 'X-Forwarded-For': `${client}, 10.0.0.1` }),
  )

describe('log-in throttling per email', () => {
  it('answers 429 with Retry-After after too many failures, even to the right password', async () => {
    const email = await signUp()
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await logIn(email, 'wrong', uniqueClient())).status).toBe(401)
    }
    await expectThrottled(await logIn(email, 'wrong', uniqueClient()), WINDOW_SECONDS)
    await expectThrottled(await logIn(email.toUpperCase(), PASSWORD, uniqueClient()), WINDOW_SECONDS)
  })

  it('counts unknown emails the same way, so a 429 reveals nothing about which accounts exist', async () => {
    const email = uniqueEmail('ghost')
    for (let attempt = 0; attempt < 3; attempt++)
      expect((await logIn(email, 'x', uniqueClient())).status).toBe(401)
    await expectThrottled(await logIn(email, 'x', uniqueClient()), WINDOW_SECONDS)
  })

  it('forgets the failures of an email after a successful log-in', async () => {
    const email = await signUp()
    const client = uniqueClient()
    for (let attempt = 0; attempt < 2; attempt++)
      expect((await logIn(email, 'wrong', client)).status).toBe(401)
    expect((await logIn(email, PASSWORD, client)).status).toBe(200)
    for (let attempt = 0; attempt < 2; attempt++)
      expect((await logIn(email, 'wrong', client)).status).toBe(401)
    expect((await logIn(email, PASSWORD, client)).status).toBe(200)
  })

  it('does not let parallel guesses slip past the limit', async () => {
    const email = await signUp()
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => logIn(email, 'wrong', uniqueClient())),
    )
    const statuses = responses.map((response) => response.status).sort()
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429])
  })

  it('does not count attempts it refused, so the right password behind a throttled address cannot lock the account', async () => {
    const throttledClient = uniqueClient()
    for (let attempt = 0; attempt < 6; attempt++) {
      expect((await logIn(uniqueEmail('spray'), 'guess', throttledClient)).status).toBe(401)
    }
    const email = await signUp()
    // More tries than the email's limit of 3, every one refused at the address before the password is checked.
    for (let attempt = 0; attempt < 5; attempt++) {
      await expectThrottled(await logIn(email, PASSWORD, throttledClient), WINDOW_SECONDS)
    }
    expect((await logIn(email, PASSWORD, uniqueClient())).status).toBe(200)
  })
})

describe('log-in throttling per client', () => {
  it('answers 429 to a client that fails across many emails, and not to another client', async () => {
    const client = uniqueClient()
    for (let attempt = 0; attempt < 6; attempt++) {
      expect((await logIn(uniqueEmail('spray'), 'guess', client)).status).toBe(401)
    }
    const email = await signUp()
    await expectThrottled(await logIn(email, PASSWORD, client), WINDOW_SECONDS)
    const other = await logIn(email, PASSWORD, uniqueClient())
    expect(other.status).toBe(200)
    expect(((await other.json()) as SessionBody).user.email).toBe(email)
  })

  it('does not count successful log-ins against the client (many people share one address)', async () => {
    const client = uniqueClient()
    const email = await signUp()
    for (let attempt = 0; attempt < 8; attempt++)
      expect((await logIn(email, PASSWORD, client)).status).toBe(200)
  })

  it('does not count attempts refused for a locked email against the address they came from', async () => {
    const lockedEmail = await signUp()
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await logIn(lockedEmail, 'wrong', uniqueClient())).status).toBe(401)
    }
    const client = uniqueClient()
    // More tries than the address's limit of 6, every one refused because of the email.
    for (let attempt = 0; attempt < 8; attempt++) {
      await expectThrottled(await logIn(lockedEmail, PASSWORD, client), WINDOW_SECONDS)
    }
    const email = await signUp()
    expect((await logIn(email, PASSWORD, client)).status).toBe(200)
  })

  it('does not let parallel guesses from one address across many emails slip past its limit', async () => {
    const client = uniqueClient()
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => logIn(uniqueEmail('parallel'), 'guess', client)),
    )
    const statuses = responses.map((response) => response.status).sort()
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429, 429, 429])
  })

  it('reads the client from X-Real-IP when X-Forwarded-For is absent', async () => {
    const client = uniqueClient()
    const attempt = () =>
      app.request(
        '/api/auth/login',
        jsonInit('POST', { email: uniqueEmail('real'), password: 'x' }, { 'X-Real-IP': client }),
      )
    for (let index = 0; index < 6; index++) expect((await attempt()).status).toBe(401)
    await expectThrottled(await attempt(), WINDOW_SECONDS)
  })
})
