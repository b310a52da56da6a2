/** Built-in accounts: sign-up, log-in, cookies, refresh-token rotation with reuse detection, log-out, and /me. */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { upsertAccount } from '../../db/queries/accounts'
import { refreshTokens, users } from '../../db/schema'
import { hashPassword, PBKDF2_ITERATIONS } from '../../edge/auth/password'
import { UNKNOWN_FIELD_DETAIL } from '../../edge/validation'
import {
  createAccount,
  createTestApp,
  jsonInit,
  type ProblemBody,
  refreshCookies,
  type SessionBody,
  testAuthConfig,
  testDatabase,
  uniqueEmail,
  withToken,
} from '../api/support'

// Reuse detection is specified here without its grace period; the grace period has its own app and tests below.
const { app } = createTestApp({ config: { auth: testAuthConfig({ refreshReuseGraceSeconds: 0 }) } })
const PASSWORD = 'correct horse battery staple'

async function signUp(email = uniqueEmail('signup'), password = PASSWORD) {
  const response = await app.request(
    '/api/auth/signup',
    jsonInit('POST', { name: 'New Person', email, password }),
  )
  expect(response.status, await response.clone().text()).toBe(201)
  return { response, session: (await response.json()) as SessionBody, email }
}

const refresh = (refreshToken: string) => app.request('/api/auth/refresh', jsonInit('POST', { refreshToken }))
const me = (accessToken: string) =>
  app.request('/api/auth/me', { headers: { Authorization: `Bearer ${accessToken}` } })

function cookiesOf(response: Response): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const cookie of response.headers.getSetCookie()) {
    const name = cookie.slice(0, cookie.indexOf('='))
    cookies.set(name, cookie)
  }
  return cookies
}

const cookieValue = (setCookie: string | undefined) =>
  setCookie?.split(';')[0]?.split('=').slice(1).join('=') ?? ''

describe('POST /api/auth/signup', () => {
  it('creates a user account and answers 201 with the user, an access token and a refresh token', async () => {
    const { response, session, email } = await signUp()
    expect(session).toMatchObject({
      user: { id: expect.any(Number), name: 'New Person', email, role: 'user' },
      tokenType: 'Bearer',
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expiresIn: 900,
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      refreshTokenExpiresIn: 30 * 24 * 3600,
    })
    expect(response.headers.get('location')).toBe(`/api/users/${session.user.id}`)
    expect((await me(session.accessToken)).status).toBe(200)
  })

  it('forbids caching every answer that carries tokens', async () => {
    const { response, session, email } = await signUp()
    const login = await app.request('/api/auth/login', jsonInit('POST', { email, password: PASSWORD }))
    const rotated = await refresh(session.refreshToken)
    for (const answer of [response, login, rotated]) {
      expect(answer.headers.get('cache-control')).toBe('no-store')
    }
  })

  it('sets httpOnly, SameSite=Lax cookies, prefixed and Secure over https and on localhost, plain elsewhere', async () => {
    // app.request's URL is http://localhost: a browser takes localhost as secure, so production's names apply.
    const { response, session } = await signUp()
    const cookies = cookiesOf(response)
    const sessionCookie = cookies.get('__Host-edgeline_session') ?? ''
    expect(sessionCookie).toMatch(/HttpOnly/)
    expect(sessionCookie).toMatch(/SameSite=Lax/)
    expect(sessionCookie).toMatch(/Path=\/(;|$)/)
    expect(sessionCookie).toMatch(/Max-Age=900/)
    // What the __Host- prefix requires of a browser to store it: Secure, Path=/, and no Domain.
    expect(sessionCookie).toMatch(/; Secure/)
    expect(sessionCookie).not.toMatch(/Domain/i)
    expect(cookieValue(sessionCookie)).toBe(session.accessToken)
    expect(cookies.get('__Secure-edgeline_refresh')).toMatch(
      /HttpOnly.*Path=\/api\/auth|Path=\/api\/auth.*HttpOnly/,
    )
    expect(cookies.get('__Secure-edgeline_refresh')).toMatch(/; Secure/)

    const signUpAt = async (url: string, headers: Record<string, string> = {}) => {
      const init = jsonInit('POST', { name: 'Scheme', email: uniqueEmail('scheme'), password: PASSWORD })
      const answer = await app.request(url, { ...init, headers: { ...init.headers, ...headers } })
      return answer.headers.getSetCookie()
    }
    // Both cookies, so that the checks on them cannot pass by looking at none.
    const prefixed = ['__Host-edgeline_session', '__Host-edgeline_sid', '__Secure-edgeline_refresh']
    const namesOf = (cookies: string[]) => cookies.map((cookie) => cookie.split('=')[0]).sort()
    const overTls = await signUpAt('https://edgeline.example.test/api/auth/signup')
    expect(namesOf(overTls)).toEqual(prefixed)
    for (const cookie of overTls) expect(cookie).toMatch(/; Secure/)
    // A proxy that ended TLS in front of a plain-http server says so.
    const behindTls = await signUpAt('http://edgeline.example.test/api/auth/signup', {
      'x-forwarded-proto': 'https',
    })
    expect(namesOf(behindTls)).toEqual(prefixed)
    for (const cookie of behindTls) expect(cookie).toMatch(/; Secure/)
    for (const loopback of ['http://127.0.0.1:3000', 'http://[::1]:3000', 'http://app.localhost']) {
      expect(namesOf(await signUpAt(`${loopback}/api/auth/signup`)), loopback).toEqual(prefixed)
    }
    // Plain http to a host that is not this machine: a browser would drop a Secure cookie (and a prefixed one).
    const plain = await signUpAt('http://edgeline.example.test/api/auth/signup')
    expect(namesOf(plain)).toEqual(['edgeline_refresh', 'edgeline_session', 'edgeline_sid'])
    for (const cookie of plain) expect(cookie).not.toMatch(/Secure/)
  })

  it('answers 409 for a taken email, whatever its case', async () => {
    const { email } = await signUp()
    const response = await app.request(
      '/api/auth/signup',
      jsonInit('POST', { name: 'Twin', email: email.toUpperCase(), password: PASSWORD }),
    )
    expect(response.status).toBe(409)
    expect(await response.json()).toMatchObject({ type: '/problems/email-taken' })
  })

  it('accepts a password of exactly 256 characters and answers 422 naming the password at 257', async () => {
    const longest = 'p'.repeat(256)
    const { session, email } = await signUp(uniqueEmail('pw256'), longest)
    const login = await app.request('/api/auth/login', jsonInit('POST', { email, password: longest }))
    expect(login.status).toBe(200)
    expect(session.user.email).toBe(email)
    const tooLong = await app.request(
      '/api/auth/signup',
      jsonInit('POST', { name: 'Long', email: uniqueEmail('pw257'), password: 'p'.repeat(257) }),
    )
    expect(tooLong.status).toBe(422)
    expect(((await tooLong.json()) as ProblemBody).errors?.map((error) => error.field)).toEqual(['password'])
  })

  it('answers 422 for a short password, a bad email or a missing name, and never echoes the password', async () => {
    const response = await app.request(
      '/api/auth/signup',
      jsonInit('POST', { name: '', email: 'nope', password: 'short' }),
    )
    expect(response.status).toBe(422)
    const text = await response.text()
    expect(text).not.toContain('"short"')
    const fields = (JSON.parse(text) as ProblemBody).errors?.map((error) => error.field)
    expect(fields).toEqual(expect.arrayContaining(['name', 'email', 'password']))
  })

  it('never lets a client choose its role: a role is an unknown field there, a 422, and no account', async () => {
    const email = uniqueEmail('climb')
    const response = await app.request(
      '/api/auth/signup',
      jsonInit('POST', { name: 'Climber', email, password: PASSWORD, role: 'admin' }),
    )
    expect(response.status).toBe(422)
    expect(((await response.json()) as ProblemBody).errors).toEqual([
      { field: 'role', in: 'body', detail: UNKNOWN_FIELD_DETAIL, pointer: '#/role' },
    ])
    expect(
      (await app.request('/api/auth/login', jsonInit('POST', { email, password: PASSWORD }))).status,
    ).toBe(401)
    const { session } = await signUp(email)
    expect(session.user.role).toBe('user')
  })

  it('answers 422 naming a misspelt field (decision 0020), and never echoes the password', async () => {
    const response = await app.request(
      '/api/auth/signup',
      jsonInit('POST', { name: 'Typo', email: uniqueEmail('typo'), passwrd: PASSWORD }),
    )
    expect(response.status).toBe(422)
    const text = await response.text()
    expect(text).not.toContain(PASSWORD)
    const fields = (JSON.parse(text) as ProblemBody).errors?.map((error) => `${error.field}: ${error.detail}`)
    expect(fields).toEqual(
      expect.arrayContaining([`passwrd: ${UNKNOWN_FIELD_DETAIL}`, expect.stringMatching(/^password: /)]),
    )
  })
})

describe('POST /api/auth/login', () => {
  it('answers 200 with a session for the right password, whatever the case of the email', async () => {
    const { email } = await signUp()
    const response = await app.request(
      '/api/auth/login',
      jsonInit('POST', { email: email.toUpperCase(), password: PASSWORD }),
    )
    expect(response.status).toBe(200)
    const session = (await response.json()) as SessionBody
    expect(session.user.email).toBe(email)
    expect(cookiesOf(response).has('__Host-edgeline_session')).toBe(true)
    expect((await me(session.accessToken)).status).toBe(200)
  })

  it('answers 422 to an unknown field rather than logging in without it', async () => {
    const { email } = await signUp()
    const response = await app.request(
      '/api/auth/login',
      jsonInit('POST', { email, password: PASSWORD, rememberMe: true }),
    )
    expect(response.status).toBe(422)
    expect(((await response.json()) as ProblemBody).errors).toEqual([
      { field: 'rememberMe', in: 'body', detail: UNKNOWN_FIELD_DETAIL, pointer: '#/rememberMe' },
    ])
  })

  it('answers the same 401 for a wrong password, an unknown email and an account without a password', async () => {
    const { email } = await signUp()
    const noPassword = await withToken(app, (await createAccount(app, 'admin')).accessToken).request(
      '/api/users',
      jsonInit('POST', { name: 'Created By Admin', email: uniqueEmail('nopass') }),
    )
    const noPasswordEmail = ((await noPassword.json()) as { email: string }).email
    const attempts = [
      { email, password: 'wrong password' },
      { email: uniqueEmail('nobody'), password: PASSWORD },
      { email: noPasswordEmail, password: PASSWORD },
    ]
    const answers = []
    for (const attempt of attempts) {
      const response = await app.request('/api/auth/login', jsonInit('POST', attempt))
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="edgeline"')
      const { type, title, detail } = (await response.json()) as ProblemBody
      answers.push({ type, title, detail })
    }
    expect(answers[1]).toEqual(answers[0])
    expect(answers[2]).toEqual(answers[0])
    expect(answers[0]?.type).toBe('/problems/invalid-credentials')
  })

  it('upgrades a hash made with fewer iterations on the next successful log-in', async () => {
    const email = uniqueEmail('legacy')
    const db = testDatabase()
    await upsertAccount(db, {
      name: 'Legacy',
      email,
      passwordHash: await hashPassword(PASSWORD, 1_000),
      role: 'user',
    })
    expect(
      (await app.request('/api/auth/login', jsonInit('POST', { email, password: PASSWORD }))).status,
    ).toBe(200)
    const [row] = await db.select({ hash: users.passwordHash }).from(users).where(eq(users.email, email))
    expect(row?.hash).toMatch(new RegExp(`^pbkdf2-sha256\\$${PBKDF2_ITERATIONS}\\$`))
    expect(
      (await app.request('/api/auth/login', jsonInit('POST', { email, password: PASSWORD }))).status,
    ).toBe(200)
  })
})

describe('the password hash', () => {
  it('is never returned by the auth or Users endpoints', async () => {
    const { session, response } = await signUp()
    const admin = withToken(app, (await createAccount(app, 'admin')).accessToken)
    const bodies = [
      JSON.stringify(session),
      await (await me(session.accessToken)).text(),
      await (await admin.request(`/api/users/${session.user.id}`)).text(),
      await (await admin.request(`/api/users?q=${encodeURIComponent(session.user.email)}`)).text(),
      await (
        await admin.request(`/api/users/${session.user.id}`, jsonInit('PATCH', { name: 'Renamed' }))
      ).text(),
    ]
    expect(response.status).toBe(201)
    for (const body of bodies) {
      expect(body).not.toMatch(/pbkdf2|password/i)
    }
  })
})

describe('POST /api/auth/refresh', () => {
  it('rotates: a new access token and a new refresh token, and the old refresh token is spent', async () => {
    const { session } = await signUp()
    const first = await refresh(session.refreshToken)
    expect(first.status).toBe(200)
    const rotated = (await first.json()) as SessionBody & { userId: string; role: string }
    expect(rotated).toMatchObject({ userId: String(session.user.id), role: 'user', tokenType: 'Bearer' })
    expect(rotated.refreshToken).not.toBe(session.refreshToken)
    expect((await me(rotated.accessToken)).status).toBe(200)
    expect((await refresh(rotated.refreshToken)).status).toBe(200)
  })

  it('stores refresh tokens only as their SHA-256 hashes, never as sent', async () => {
    const { session } = await signUp()
    const rotated = (await (await refresh(session.refreshToken)).json()) as SessionBody
    const rows = await testDatabase()
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.userId, session.user.id))
    const sha256 = async (text: string) => {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
      return btoa(String.fromCharCode(...digest))
        .replace(/=+$/, '')
        .replaceAll('+', '-')
        .replaceAll('/', '_')
    }
    expect(rows.map((row) => row.tokenHash).sort()).toEqual(
      [await sha256(session.refreshToken), await sha256(rotated.refreshToken)].sort(),
    )
    const stored = JSON.stringify(rows)
    expect(stored).not.toContain(session.refreshToken)
    expect(stored).not.toContain(rotated.refreshToken)
  })

  it('detects reuse of a spent refresh token and revokes the whole family', async () => {
    const { session } = await signUp()
    const stolen = session.refreshToken
    const legitimate = (await (await refresh(stolen)).json()) as SessionBody
    // The thief (or the victim) presents the spent token again: refused, and every token of the family dies.
    const replay = await refresh(stolen)
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ type: '/problems/invalid-refresh-token' })
    expect((await refresh(legitimate.refreshToken)).status).toBe(401)
  })

  it('leaves other sessions (families) of the same user alive when one family is revoked', async () => {
    const { session, email } = await signUp()
    const other = (await (
      await app.request('/api/auth/login', jsonInit('POST', { email, password: PASSWORD }))
    ).json()) as SessionBody
    await refresh(session.refreshToken)
    await refresh(session.refreshToken)
    expect((await refresh(other.refreshToken)).status).toBe(200)
  })

  it('reads the refresh token from its cookie when the body has none', async () => {
    const { response } = await signUp()
    const refreshCookie = cookieValue(cookiesOf(response).get('__Secure-edgeline_refresh'))
    const sessionId = cookieValue(cookiesOf(response).get('__Host-edgeline_sid'))
    const viaCookie = await app.request('/api/auth/refresh', {
      method: 'POST',
      headers: { Cookie: `__Secure-edgeline_refresh=${refreshCookie}; __Host-edgeline_sid=${sessionId}` },
    })
    expect(viaCookie.status).toBe(200)
    const cookies = cookiesOf(viaCookie)
    expect(cookieValue(cookies.get('__Secure-edgeline_refresh'))).not.toBe(refreshCookie)
    expect(cookieValue(cookies.get('__Host-edgeline_session'))).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('answers 401 to a missing, malformed or unknown refresh token', async () => {
    expect((await app.request('/api/auth/refresh', { method: 'POST' })).status).toBe(401)
    expect((await refresh('not-a-token')).status).toBe(401)
    expect((await refresh('A'.repeat(43))).status).toBe(401)
  })

  it('carries a role change into the next access token', async () => {
    const { session } = await signUp()
    const admin = withToken(app, (await createAccount(app, 'admin')).accessToken)
    expect(
      (await admin.request(`/api/users/${session.user.id}`, jsonInit('PATCH', { role: 'admin' }))).status,
    ).toBe(200)
    const rotated = (await (await refresh(session.refreshToken)).json()) as {
      role: string
      accessToken: string
    }
    expect(rotated.role).toBe('admin')
    expect(await (await me(rotated.accessToken)).json()).toMatchObject({ role: 'admin' })
  })

  it('refuses the refresh token of a deleted user', async () => {
    const { session } = await signUp()
    const self = withToken(app, session.accessToken)
    expect((await self.request(`/api/users/${session.user.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await refresh(session.refreshToken)).status).toBe(401)
  })
})

describe('GET /api/auth/resume (a page visit whose session cookie expired)', () => {
  const resume = (next: string, cookie?: string) =>
    app.request(`/api/auth/resume?next=${encodeURIComponent(next)}`, { headers: cookie ? { cookie } : {} })

  it('renews the session from the refresh cookie and goes back to the page', async () => {
    const { session } = await signUp()
    const response = await resume('/users?q=a', refreshCookies(session))
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/users?q=a')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const cookies = cookiesOf(response)
    expect((await me(cookieValue(cookies.get('__Host-edgeline_session')))).status).toBe(200)
    // Rotated like any refresh: the new token works, and the cookie's old one is spent (its replay then ends all).
    expect((await refresh(cookieValue(cookies.get('__Secure-edgeline_refresh')))).status).toBe(200)
    expect((await refresh(session.refreshToken)).status).toBe(401)
  })

  it('sends a browser without a valid refresh cookie on to the log-in page, keeping next', async () => {
    const { session } = await signUp()
    await refresh(session.refreshToken)
    for (const cookie of [undefined, '__Secure-edgeline_refresh=nonsense', refreshCookies(session)]) {
      const response = await resume('/account', cookie)
      expect(response.status, cookie).toBe(303)
      expect(response.headers.get('location'), cookie).toBe('/login?next=%2Faccount')
    }
  })

  it('never sends the browser off the site, whatever next says', async () => {
    const { session } = await signUp()
    const response = await resume('//evil.example/x', refreshCookies(session))
    expect(response.headers.get('location')).toBe('/')
    expect((await resume('https://evil.example/')).headers.get('location')).toBe('/login?next=%2F')
  })
})

describe('a refresh token presented again within the grace period (another tab, a retry)', () => {
  const { app: graceApp } = createTestApp()
  const refreshIn = (token: string) =>
    graceApp.request('/api/auth/refresh', jsonInit('POST', { refreshToken: token }))
  const resumeIn = (cookie: string) =>
    graceApp.request('/api/auth/resume?next=%2Fusers', { headers: { cookie } })

  it('is refused without revoking the session the first use started, or clearing cookies', async () => {
    const { session } = await signUp()
    const winner = (await (await refreshIn(session.refreshToken)).json()) as SessionBody
    const loser = await refreshIn(session.refreshToken)
    expect(loser.status).toBe(401)
    expect(loser.headers.getSetCookie()).toEqual([])
    expect((await refreshIn(winner.refreshToken)).status).toBe(200)
  })

  it('sends a renewing page back once to use the cookies the other tab got, then on to log in', async () => {
    const { session } = await signUp()
    const spent = refreshCookies(session)
    const first = await resumeIn(spent)
    expect(first.headers.get('location')).toBe('/users')
    const fresh = cookieValue(cookiesOf(first).get('__Secure-edgeline_refresh'))

    const second = await resumeIn(spent)
    expect(second.status).toBe(303)
    expect(second.headers.get('location')).toBe('/users')
    const retry = second.headers.getSetCookie()
    expect(retry).toEqual([expect.stringMatching(/^edgeline_resume_retry=1;.*Path=\/api\/auth/)])

    // Back again with the spent cookie: the browser did not keep the new ones, so log in rather than loop.
    const third = await resumeIn(`${spent}; edgeline_resume_retry=1`)
    expect(third.headers.get('location')).toBe('/login?next=%2Fusers')
    expect((await refreshIn(fresh)).status).toBe(200)
  })
})

describe('POST /api/auth/logout', () => {
  it('revokes the session and clears both cookies', async () => {
    const { session } = await signUp()
    const response = await app.request(
      '/api/auth/logout',
      jsonInit('POST', { refreshToken: session.refreshToken }),
    )
    expect(response.status).toBe(204)
    const cookies = cookiesOf(response)
    expect(cookies.get('__Host-edgeline_session')).toMatch(/Max-Age=0/)
    expect(cookies.get('__Secure-edgeline_refresh')).toMatch(/Max-Age=0/)
    expect((await refresh(session.refreshToken)).status).toBe(401)
  })

  it('ends the session its access token names when no refresh token is sent (a page form post)', async () => {
    const { session, email } = await signUp()
    const other = (await (
      await app.request('/api/auth/login', jsonInit('POST', { email, password: PASSWORD }))
    ).json()) as SessionBody
    const rotated = (await (await refresh(session.refreshToken)).json()) as SessionBody
    // The rotated access token still names the session it was first issued with.
    const response = await app.request('/api/auth/logout', {
      method: 'POST',
      headers: { cookie: `__Host-edgeline_session=${rotated.accessToken}` },
    })
    expect(response.status).toBe(204)
    expect((await refresh(rotated.refreshToken)).status).toBe(401)
    // Only that session: the same user's other log-in lives on.
    expect((await refresh(other.refreshToken)).status).toBe(200)
  })

  it("takes a log-out button's form post: ends the session of the refresh cookie, even past the access token", async () => {
    const { session } = await signUp()
    const response = await app.request('http://localhost:3000/api/auth/logout', {
      method: 'POST',
      // What the browser sends to /api/auth/logout once the 15-minute session cookie is gone: the refresh cookie.
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://localhost:3000',
        host: 'localhost:3000',
        cookie: `__Secure-edgeline_refresh=${session.refreshToken}`,
      },
      body: '',
    })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login?logged-out')
    expect(cookiesOf(response).get('__Secure-edgeline_refresh')).toMatch(/Max-Age=0/)
    expect((await refresh(session.refreshToken)).status).toBe(401)
  })

  it('refuses a log-out form posted from another site, or without an Origin', async () => {
    const { session } = await signUp()
    for (const origin of ['https://evil.example', undefined]) {
      const response = await app.request('http://localhost:3000/api/auth/logout', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          host: 'localhost:3000',
          cookie: `__Secure-edgeline_refresh=${session.refreshToken}`,
          ...(origin ? { origin } : {}),
        },
        body: '',
      })
      expect(response.status).toBe(403)
    }
    expect((await refresh(session.refreshToken)).status).toBe(200)
  })

  it('answers 204 and clears the cookies even with no token or cookie at all (decision 0019)', async () => {
    const response = await app.request('/api/auth/logout', { method: 'POST' })
    expect(response.status).toBe(204)
    expect(cookiesOf(response).get('__Host-edgeline_session')).toMatch(/Max-Age=0/)
    expect(cookiesOf(response).get('__Secure-edgeline_refresh')).toMatch(/Max-Age=0/)
  })

  it('answers a second log-out of the same session as the first: a lost answer can be retried', async () => {
    const { session } = await signUp()
    for (const attempt of ['first', 'retry']) {
      const response = await app.request(
        '/api/auth/logout',
        jsonInit('POST', { refreshToken: session.refreshToken }),
      )
      expect(response.status, attempt).toBe(204)
    }
    expect((await refresh(session.refreshToken)).status).toBe(401)
  })
})

describe('GET /api/auth/me', () => {
  it('answers who the token says the caller is, with the account', async () => {
    const { session } = await signUp()
    const response = await me(session.accessToken)
    expect(await response.json()).toEqual({
      userId: String(session.user.id),
      role: 'user',
      user: session.user,
    })
  })

  it('needs a session', async () => {
    const response = await app.request('/api/auth/me')
    expect(response.status).toBe(401)
  })
})
