/** The production build, served by `next start` and by the production server (test/e2e/built-server.ts), over real HTTP. */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { someForgedTokens } from '../support/forged-tokens'
import { createE2eAccount } from './accounts'
import { E2E_JWT_SECRET } from './built-server'
import { checkedFetch, expectEveryApiAnswerDocumented } from './checked-fetch'
import { rawRequest } from './raw-request'

const baseUrl = inject('appUrl')
const buildOutput = readFileSync(inject('buildLogFile'), 'utf8')
const serverOutput = () => readFileSync(inject('serverLogFile'), 'utf8')
/** `Authorization: Bearer …` of an admin who logged in over HTTP. */
let adminAuth: Record<string, string> = {}

beforeAll(async () => {
  const admin = await createE2eAccount('admin')
  const login = await checkedFetch(
    `${baseUrl}/api/auth/login`,
    json('POST', { email: admin.email, password: admin.password }),
  )
  if (login.status !== 200) throw new Error(`log-in answered ${login.status}: ${await login.text()}`)
  adminAuth = { Authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` }
})

// Every API answer above was checked against the document the server publishes (test/e2e/checked-fetch.ts).
afterAll(expectEveryApiAnswerDocumented)

describe('the production build', () => {
  it('builds the API as an edge function', () => {
    const manifest = readJson<{ functions: Record<string, { page: string }> }>(
      '.next/server/middleware-manifest.json',
    )
    expect(Object.keys(manifest.functions)).toContain('/api/[[...route]]/route')
    expect(buildOutput).toMatch(/ƒ \/api\/\[\[\.\.\.route\]\]/)
  })

  it('builds middleware.ts as an edge function that runs on every path but Next build output', () => {
    const manifest = readJson<{ middleware: Record<string, { matchers: { originalSource: string }[] }> }>(
      '.next/server/middleware-manifest.json',
    )
    expect(manifest.middleware['/']?.matchers.map((matcher) => matcher.originalSource)).toEqual([
      '/((?!_next/static/|_next/image).*)',
    ])
  })

  it('has no Node.js function: every app route and page of ours runs on the edge', () => {
    const appPaths = readJson<Record<string, string>>('.next/server/app-paths-manifest.json')
    const edgeFunctions = Object.keys(
      readJson<{ functions: Record<string, unknown> }>('.next/server/middleware-manifest.json').functions,
    )
    // Next's own /_not-found and /_global-error are prerendered static files, not functions.
    const ours = Object.keys(appPaths).filter((path) => !path.startsWith('/_'))
    expect(ours.length).toBeGreaterThan(0)
    for (const path of ours) {
      expect(edgeFunctions, path).toContain(path)
      expect(appPaths[path], path).toBe('app-edge-has-no-entrypoint')
    }
  })
})

describe('the built app over HTTP', () => {
  it('greets on GET /api/hello with a request id and server timing', async () => {
    const response = await checkedFetch(`${baseUrl}/api/hello`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ message: 'Hello from Next.js Backend!' })
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.headers.get('server-timing')).toMatch(/^db;dur=/)
  })

  it('reports a healthy database', async () => {
    const response = await checkedFetch(`${baseUrl}/api/health`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ status: 'ok', database: { status: 'up' } })
  })

  it('renders the home page on the edge for a signed-out visitor, pointing at the live status', async () => {
    const response = await checkedFetch(`${baseUrl}/`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await response.text()
    expect(html).toContain('<h1>Edgeline</h1>')
    // The database's status is /api/health's to tell (page-round-trips.test.ts: this view reads nothing).
    expect(html).toContain('href="/api/health"')
    expect(html).toContain('href="/api/docs"')
  })

  it('never lets a forged Host make a page that reads data fetch from another host', async () => {
    const seen: string[] = []
    const decoy = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`)
      response.setHeader('content-type', 'application/json')
      response.end('{"status":"ok","database":{"status":"up","roundTripMs":1}}')
    })
    await new Promise<void>((listening) => decoy.listen(0, '127.0.0.1', listening))
    try {
      const decoyHost = `127.0.0.1:${(decoy.address() as AddressInfo).port}`
      const signedIn = Object.entries(adminAuth).map(([name, value]) => `${name}: ${value}`)
      const answer = await rawRequest(baseUrl, [
        'GET /users HTTP/1.1',
        `Host: ${decoyHost}`,
        ...signedIn,
        'Connection: close',
      ])
      expect(answer).toMatch(/^HTTP\/1\.1 200/)
      expect(answer).toContain('<h1>Users</h1>')
      expect(seen).toEqual([])
    } finally {
      decoy.close()
    }
  })

  it('signs up and in through the no-JavaScript forms and lands back on next, session cookie set', async () => {
    const loginPage = await checkedFetch(`${baseUrl}/login?next=%2Fapi%2Fauth%2Fme`)
    expect(loginPage.status).toBe(200)
    const html = await loginPage.text()
    expect(html).toContain('action="/login/submit"')
    expect(html).toContain('name="next" value="/api/auth/me"')

    const email = `e2e-form-${crypto.randomUUID()}@example.test`
    const form = new URLSearchParams({
      name: 'Form E2E',
      email,
      password: 'a long enough password',
      next: '/api/auth/me',
    })
    const signup = await checkedFetch(`${baseUrl}/signup/submit`, {
      method: 'POST',
      body: form,
      headers: { origin: baseUrl },
      redirect: 'manual',
    })
    expect(signup.status).toBe(303)
    expect(signup.headers.get('location')).toBe('/api/auth/me')
    const session = /__Host-edgeline_session=([^;]+)/.exec(signup.headers.getSetCookie().join('\n'))?.[1]
    expect(session).toBeDefined()
    const me = await checkedFetch(`${baseUrl}/api/auth/me`, {
      headers: { cookie: `__Host-edgeline_session=${session}` },
    })
    expect(me.status).toBe(200)
    expect(((await me.json()) as { user: { email: string } }).user.email).toBe(email)

    const wrong = await checkedFetch(`${baseUrl}/login/submit`, {
      method: 'POST',
      body: new URLSearchParams({ email, password: 'wrong password!!' }),
      headers: { origin: baseUrl },
      redirect: 'manual',
    })
    expect(wrong.status).toBe(303)
    const back = await checkedFetch(new URL(wrong.headers.get('location') as string, baseUrl))
    expect(await back.text()).toContain('The email or the password is wrong.')
  })

  it('serves the API reference to a signed-out reader, with its bundle from our own origin', async () => {
    const page = await checkedFetch(`${baseUrl}/api/docs`)
    expect(page.status).toBe(200)
    const bundlePath = /<script src="(\/vendor\/[^"]+)"><\/script>/.exec(await page.text())?.[1]
    expect(bundlePath).toBeDefined()
    // A static file from public/ (copied by the pretest:e2e hook), past the middleware without a session.
    const bundle = await checkedFetch(`${baseUrl}${bundlePath}`, { redirect: 'manual' })
    expect(bundle.status).toBe(200)
    expect(bundle.headers.get('content-type')).toMatch(/^application\/javascript/)
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000)
  })

  it('serves a favicon and a robots.txt that keeps crawlers out of the API, to a signed-out visitor', async () => {
    const icon = await checkedFetch(`${baseUrl}/favicon.ico`, { redirect: 'manual' })
    expect(icon.status).toBe(200)
    expect(icon.headers.get('content-type')).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)/)
    // An ICO file: reserved 0, type 1 (icon), at least one image.
    expect([...new Uint8Array(await icon.arrayBuffer()).slice(0, 4)]).toEqual([0, 0, 1, 0])
    const robots = await checkedFetch(`${baseUrl}/robots.txt`, { redirect: 'manual' })
    expect(robots.status).toBe(200)
    expect(robots.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await robots.text()).toMatch(/^User-agent: \*\nDisallow: \/api\/$/m)
  })

  it('refuses a signed-out API call with 401 and redirects a signed-out page to the log-in page', async () => {
    const api = await checkedFetch(`${baseUrl}/api/users`, { headers: { 'X-Edgeline-User-Role': 'admin' } })
    expect(api.status).toBe(401)
    expect(api.headers.get('www-authenticate')).toBe('Bearer realm="edgeline"')
    expect(api.headers.get('content-type')).toBe('application/problem+json')
    const page = await checkedFetch(`${baseUrl}/dashboard?tab=2`, { redirect: 'manual' })
    expect(page.status).toBe(303)
    const resume = page.headers.get('location') ?? ''
    expect(resume).toMatch(/\/api\/auth\/resume\?next=%2Fdashboard%3Ftab%3D2$/)
    // No refresh cookie to renew the session with: on to the log-in page, which brings the browser back.
    const login = await checkedFetch(new URL(resume, baseUrl), { redirect: 'manual' })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe('/login?next=%2Fdashboard%3Ftab%3D2')
  })

  it('creates, reads, updates, lists and deletes a user', async () => {
    const email = `e2e-${crypto.randomUUID()}@example.test`
    const created = await checkedFetch(
      `${baseUrl}/api/users`,
      json('POST', { name: 'End To End', email }, adminAuth),
    )
    expect(created.status).toBe(201)
    const location = created.headers.get('location')
    const user = (await created.json()) as { id: number; email: string }
    expect(location).toBe(`/api/users/${user.id}`)

    expect((await checkedFetch(`${baseUrl}${location}`, { headers: adminAuth })).status).toBe(200)
    const patched = await checkedFetch(`${baseUrl}${location}`, json('PATCH', { name: 'Renamed' }, adminAuth))
    expect(await patched.json()).toMatchObject({ id: user.id, name: 'Renamed', email })

    const listed = await checkedFetch(`${baseUrl}/api/users?q=${encodeURIComponent(email)}`, {
      headers: adminAuth,
    })
    expect(((await listed.json()) as { data: { id: number }[] }).data.map((row) => row.id)).toEqual([user.id])

    const duplicate = await checkedFetch(
      `${baseUrl}/api/users`,
      json('POST', { name: 'Twin', email: email.toUpperCase() }, adminAuth),
    )
    expect(duplicate.status).toBe(409)
    expect(duplicate.headers.get('content-type')).toBe('application/problem+json')

    expect(
      (await checkedFetch(`${baseUrl}${location}`, { method: 'DELETE', headers: adminAuth })).status,
    ).toBe(204)
    expect((await checkedFetch(`${baseUrl}${location}`, { headers: adminAuth })).status).toBe(404)
  })

  it('answers GET /api/auth/me with a null user once the account is deleted, as the document says', async () => {
    const email = `e2e-gone-${crypto.randomUUID()}@example.test`
    const signup = await checkedFetch(
      `${baseUrl}/api/auth/signup`,
      json('POST', { name: 'Gone Soon', email, password: 'a long enough password' }),
    )
    expect(signup.status).toBe(201)
    const session = (await signup.json()) as { user: { id: number }; accessToken: string }
    const auth = { Authorization: `Bearer ${session.accessToken}` }
    const deleted = await checkedFetch(`${baseUrl}/api/users/${session.user.id}`, {
      method: 'DELETE',
      headers: auth,
    })
    expect(deleted.status).toBe(204)
    // The access token outlives the account (15 minutes at most): "who am I" still answers, without the account.
    const me = await checkedFetch(`${baseUrl}/api/auth/me`, { headers: auth })
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({ userId: String(session.user.id), role: 'user', user: null })
  })

  it('refreshes, refuses a wrong current password, logs out, and then refuses the spent refresh token', async () => {
    const email = `e2e-cycle-${crypto.randomUUID()}@example.test`
    const password = 'a long enough password'
    const signup = await checkedFetch(
      `${baseUrl}/api/auth/signup`,
      json('POST', { name: 'Session Cycle', email, password }),
    )
    expect(signup.status).toBe(201)
    const { refreshToken } = (await signup.json()) as { refreshToken: string }
    const refreshed = await checkedFetch(`${baseUrl}/api/auth/refresh`, json('POST', { refreshToken }))
    expect(refreshed.status).toBe(200)
    const next = (await refreshed.json()) as { accessToken: string; refreshToken: string }
    const auth = { Authorization: `Bearer ${next.accessToken}` }

    const wrong = await checkedFetch(
      `${baseUrl}/api/auth/password`,
      json('POST', { currentPassword: 'not the password', newPassword: 'another long password' }, auth),
    )
    expect(wrong.status).toBe(422)
    const loggedOut = await checkedFetch(
      `${baseUrl}/api/auth/logout`,
      json('POST', { refreshToken: next.refreshToken }, auth),
    )
    expect(loggedOut.status).toBe(204)
    const refused = await checkedFetch(
      `${baseUrl}/api/auth/refresh`,
      json('POST', { refreshToken: next.refreshToken }),
    )
    expect(refused.status).toBe(401)
    const head = await checkedFetch(`${baseUrl}/api/users?limit=1`, { method: 'HEAD', headers: auth })
    expect(head.status).toBe(200)
  })

  it('answers client mistakes with problems, never a 500', async () => {
    const cases: [string, RequestInit, number][] = [
      ['/api/nothing', {}, 404],
      ['/api/users', { method: 'PUT' }, 405],
      ['/api/users/abc', {}, 400],
      ['/api/users', json('POST', '{"name":'), 400],
      ['/api/users', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hi' }, 415],
      ['/api/users', json('POST', { name: 'x'.repeat(2 * 1024 * 1024), email: 'big@example.test' }), 413],
      ['/api/users', json('POST', { name: '', email: 'nope' }), 422],
    ]
    for (const [path, init, status] of cases) {
      const response = await checkedFetch(`${baseUrl}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), ...adminAuth },
      })
      expect(response.status, `${init.method ?? 'GET'} ${path}`).toBe(status)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
    }
    const wrongMethod = await checkedFetch(`${baseUrl}/api/users/1`, { method: 'POST', headers: adminAuth })
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE')
  })

  it('writes one JSON log line per request, carrying the request id', async () => {
    const requestId = `e2e-log-${Date.now()}`
    await checkedFetch(`${baseUrl}/api/hello`, { headers: { 'X-Request-Id': requestId } })
    await expect
      .poll(
        () =>
          serverOutput()
            .split('\n')
            .filter((line) => line.includes(requestId)).length,
      )
      .toBe(1)
    const line =
      serverOutput()
        .split('\n')
        .find((candidate) => candidate.includes(requestId)) ?? ''
    expect(JSON.parse(line.slice(line.indexOf('{')))).toMatchObject({
      msg: 'request',
      requestId,
      status: 200,
    })
  })
})

describe('the built app and forged tokens', () => {
  // A few of the shared list (test/auth/forgeries and middleware-forgeries try all of it), one per kind of attack.
  const forgeries = someForgedTokens({ secret: E2E_JWT_SECRET }, [
    'alg: none with our key id',
    'a wrong secret under our key id',
    'HS256 signed with an RSA public key as the secret',
    'an expired token',
    'a payload tampered after signing (role raised to admin)',
  ])

  it.each(forgeries)(
    'refuses %s on the API and sends a page visit with it to renew the session',
    async (_name, forge) => {
      const token = await forge()
      const headerSets: Record<string, string>[] = [
        { Authorization: `Bearer ${token}` },
        { Cookie: `__Host-edgeline_session=${token}` },
      ]
      for (const headers of headerSets) {
        const api = await checkedFetch(`${baseUrl}/api/users`, { headers })
        expect(api.status).toBe(401)
        expect(api.headers.get('www-authenticate')).toBe('Bearer realm="edgeline", error="invalid_token"')
      }
      const page = await checkedFetch(`${baseUrl}/users`, {
        headers: { Cookie: `__Host-edgeline_session=${token}` },
        redirect: 'manual',
      })
      expect(page.status).toBe(303)
      expect(page.headers.get('location')).toMatch(/\/api\/auth\/resume\?next=%2Fusers$/)
    },
  )
})

describe('the built app on requests no route could answer', () => {
  async function expectProblem(response: Response, status: number, type: string, label: string) {
    expect(response.status, label).toBe(status)
    expect(response.headers.get('content-type'), label).toBe('application/problem+json')
    expect(((await response.json()) as { type: string }).type, label).toBe(type)
  }

  it('answers a method outside the seven Next dispatches with a 501 problem, on pages, form handlers and the API', async () => {
    for (const method of ['PROPFIND', 'MKCOL', 'SEARCH', 'QUERY']) {
      for (const [path, headers] of [
        ['/login', {}],
        ['/login/submit', {}],
        ['/api/hello', {}],
        ['/api/users', adminAuth],
      ] as const) {
        const response = await fetch(`${baseUrl}${path}`, { method, headers })
        await expectProblem(response, 501, '/problems/method-not-implemented', `${method} ${path}`)
      }
    }
  })

  it('answers a malformed percent-escape in a path with a 400 problem, with a session too', async () => {
    for (const path of ['/api/users/%zz', '/api/users/%E2%82', '/api/%']) {
      const response = await fetch(`${baseUrl}${path}`, { headers: adminAuth })
      await expectProblem(response, 400, '/problems/malformed-path', path)
    }
  })

  it('answers a write to one of our static files with a 405 problem and Allow: GET, HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      for (const path of ['/vendor/scalar/api-reference.js', '/favicon.ico', '/robots.txt']) {
        const response = await fetch(`${baseUrl}${path}`, { method })
        expect(response.headers.get('allow'), `${method} ${path}`).toBe('GET, HEAD')
        await expectProblem(response, 405, '/problems/method-not-allowed', `${method} ${path}`)
      }
    }
  })

  it('answers every method but POST on the form handlers with a 405 problem and Allow: POST', async () => {
    for (const path of ['/login/submit', '/signup/submit', '/users/submit', '/account/submit']) {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const response = await fetch(`${baseUrl}${path}`, { method })
        expect(response.headers.get('allow'), `${method} ${path}`).toBe('POST')
        await expectProblem(response, 405, '/problems/method-not-allowed', `${method} ${path}`)
      }
      const head = await fetch(`${baseUrl}${path}`, { method: 'HEAD' })
      expect(head.status).toBe(405)
      expect(head.headers.get('allow')).toBe('POST')
    }
  })
})

// Checked and found right by the attack trial of issue 20 (item 6): kept tested on the built app, both servers.
describe('what the trial found right, kept so over HTTP', () => {
  it('answers a 70 KiB form post with 413, with a declared length and streamed alike, and creates nothing', async () => {
    const email = `e2e-big-form-${crypto.randomUUID()}@example.test`
    const body = `name=${'x'.repeat(70 * 1024)}&email=${encodeURIComponent(email)}&password=long-enough-password`
    const headers = { Origin: baseUrl, 'Content-Type': 'application/x-www-form-urlencoded' }
    const declared = await fetch(`${baseUrl}/signup/submit`, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
    })
    expect(declared.status).toBe(413)
    const streamed = await fetch(`${baseUrl}/signup/submit`, {
      method: 'POST',
      headers,
      body: new Blob([body]).stream(),
      duplex: 'half',
      redirect: 'manual',
    } as RequestInit)
    expect(streamed.status).toBe(413)
    for (const answer of [declared, streamed]) {
      expect(answer.headers.get('content-type')).toBe('application/problem+json')
      expect(await answer.json()).toMatchObject({ type: '/problems/payload-too-large' })
    }
    const login = await checkedFetch(
      `${baseUrl}/api/auth/login`,
      json('POST', { email, password: 'long-enough-password' }),
    )
    expect(login.status).toBe(401)
  })

  it('compares If-Match strongly and over lists, If-None-Match weakly (RFC 9110 §13.1)', async () => {
    const created = await checkedFetch(
      `${baseUrl}/api/users`,
      json('POST', { name: 'Tagged', email: `e2e-tag-${crypto.randomUUID()}@example.test` }, adminAuth),
    )
    expect(created.status).toBe(201)
    const etag = created.headers.get('etag') as string
    const { id } = (await created.json()) as { id: number }
    const patch = (ifMatch: string, name: string) =>
      checkedFetch(
        `${baseUrl}/api/users/${id}`,
        json('PATCH', { name }, { ...adminAuth, 'If-Match': ifMatch }),
      )
    expect((await patch(`W/${etag}`, 'Weak')).status).toBe(412)
    const listed = await patch(`"999999", ${etag}`, 'Listed')
    expect(listed.status).toBe(200)
    const current = listed.headers.get('etag') as string
    const revalidated = await checkedFetch(`${baseUrl}/api/users/${id}`, {
      headers: { ...adminAuth, 'If-None-Match': `"1", W/${current}` },
    })
    expect(revalidated.status).toBe(304)
  })
})

function json(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}
