/** The edge middleware itself, called as Next calls it: redirects pages, refuses API calls, strips forged identity. */
import { NextRequest } from 'next/server'
import { describe, expect, it, vi } from 'vitest'
import { createEdgeGate, type GateOptions } from '../../edge/auth/gate'
import { createTokenService } from '../../edge/auth/tokens'
import { LOOPBACK_HOSTS, readConfig } from '../../edge/env'
import { config, middleware } from '../../middleware'

const BASE = 'http://localhost:3000'
// middleware.ts reads this process's environment, as it does in `next dev`: no variables, so the development secret.
const tokens = createTokenService(readConfig().auth)
const userToken = () => tokens.signAccessToken({ userId: '42', role: 'user' })

function request(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new NextRequest(new URL(path, BASE), { method, headers })
}

/** The request headers Next forwards after `NextResponse.next({ request: { headers } })`. */
function forwardedHeaders(response: Response): Record<string, string> {
  expect(response.headers.get('x-middleware-next')).toBe('1')
  const names = (response.headers.get('x-middleware-override-headers') ?? '').split(',').filter(Boolean)
  return Object.fromEntries(
    names.map((name) => [name, response.headers.get(`x-middleware-request-${name}`) ?? '']),
  )
}

describe('middleware.ts on pages', () => {
  it('sends a page request without a session to renew it, then to /login?next=<path and query>', async () => {
    const response = await middleware(request('/dashboard/reports?year=2026&q=a b'))
    expect(response.status).toBe(303)
    const location = new URL(response.headers.get('location') ?? '')
    expect(location.pathname).toBe('/api/auth/resume')
    expect(location.searchParams.get('next')).toBe('/dashboard/reports?year=2026&q=a%20b')
  })

  it('redirects a page request whose session cookie is forged or expired', async () => {
    const expired = await createTokenService({
      ...readConfig().auth,
      accessTokenSeconds: -60,
    }).signAccessToken({
      userId: '42',
      role: 'user',
    })
    for (const cookie of [
      '__Host-edgeline_session=not-a-jwt',
      `__Host-edgeline_session=${(await userToken()).slice(0, -3)}abc`,
      `__Host-edgeline_session=${expired}`,
    ]) {
      const response = await middleware(request('/settings', { cookie }))
      expect(response.status, cookie).toBe(303)
      expect(response.headers.get('location')).toBe(`${BASE}/api/auth/resume?next=%2Fsettings`)
    }
  })

  it('lets a page request with a valid session cookie through, with the verified identity', async () => {
    const response = await middleware(
      request('/settings', { cookie: `theme=dark; __Host-edgeline_session=${await userToken()}` }),
    )
    expect(forwardedHeaders(response)).toMatchObject({
      'x-edgeline-user-id': '42',
      'x-edgeline-user-role': 'user',
    })
  })

  it('with tracing off (no OTLP endpoint), passes a client’s trace headers on untouched and adds none', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const passed = await middleware(request('/', { traceparent, tracestate: 'caller=1' }))
    expect(forwardedHeaders(passed)).toMatchObject({ traceparent, tracestate: 'caller=1' })
    const refused = await middleware(request('/api/users', { traceparent }))
    expect(refused.status).toBe(401)
    expect(refused.headers.get('x-trace-id')).toBeNull()
  })

  it('lets the public pages and static assets through without a session', async () => {
    for (const path of ['/', '/login', '/signup', '/favicon.ico', '/_next/static/chunks/app.js']) {
      const response = await middleware(request(path))
      expect(response.headers.get('x-middleware-next'), path).toBe('1')
    }
  })
})

describe('middleware.ts on the API', () => {
  it('answers 401 problem+json with WWW-Authenticate: Bearer when no token is sent', async () => {
    const response = await middleware(request('/api/users', { 'x-request-id': 'mw-test-1' }))
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="edgeline"')
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(await response.json()).toMatchObject({
      type: '/problems/unauthorized',
      status: 401,
      instance: '/api/users',
      requestId: 'mw-test-1',
    })
  })

  it('answers its own 401s with a request id but, unlike the API, no server-timing and no log line', async () => {
    const console_ = ['log', 'info', 'warn', 'error', 'debug'] as const
    const spies = console_.map((method) => vi.spyOn(console, method))
    try {
      const withId = await middleware(request('/api/users', { 'x-request-id': 'mw-test-2' }))
      const withoutId = await middleware(request('/api/users', { authorization: 'Bearer nope' }))
      expect([withId.status, withoutId.status]).toEqual([401, 401])
      expect(withId.headers.get('x-request-id')).toBe('mw-test-2')
      expect(withoutId.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
      for (const response of [withId, withoutId]) expect(response.headers.get('server-timing')).toBeNull()
      for (const spy of spies) expect(spy).not.toHaveBeenCalled()
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })

  it('answers 401 with error="invalid_token" when a bad token is sent, by header or by cookie', async () => {
    const headerSets: Record<string, string>[] = [
      { authorization: 'Bearer nope' },
      { cookie: '__Host-edgeline_session=nope' },
    ]
    for (const headers of headerSets) {
      const response = await middleware(request('/api/users', headers))
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="edgeline", error="invalid_token"')
    }
  })

  it('lets public API paths through without a token and other API paths with a valid one', async () => {
    for (const path of [
      '/api/hello',
      '/api/health',
      '/api/auth/login',
      '/api/auth/signup',
      '/api/openapi.json',
    ]) {
      expect((await middleware(request(path))).headers.get('x-middleware-next'), path).toBe('1')
    }
    const signedIn = await middleware(request('/api/users', { authorization: `Bearer ${await userToken()}` }))
    expect(forwardedHeaders(signedIn)).toMatchObject({ 'x-edgeline-user-id': '42' })
  })

  it.each([
    '/api/health/../users',
    '/api/hello/%2e%2e/users',
    '/api/hello%2F..%2Fusers',
    '/api/hello%2f..%2fusers',
    '/api/Users',
    '/api/HELLO',
    '/api/hello/',
    '/api/health/',
    '/api/%68ello',
    '/api/auth/login/../../users',
    '/api//hello',
    '/api/hello;/../users',
    '/api/auth/me',
    '/api',
  ])('does not treat %s as public', async (path) => {
    const response = await middleware(request(path))
    expect(response.status).toBe(401)
  })

  it('answers even a preflight without a session with 401 when CORS is off, so OPTIONS cannot map the routes', async () => {
    const preflight = { origin: 'https://app.example.test', 'access-control-request-method': 'POST' }
    expect((await middleware(request('/api/users', preflight, 'OPTIONS'))).status).toBe(401)
  })

  it('answers a bare OPTIONS without a session with 401', async () => {
    const response = await middleware(request('/api/users', {}, 'OPTIONS'))
    expect(response.status).toBe(401)
  })
})

describe('middleware.ts on requests no route could answer', () => {
  /** Next would answer these with an empty 400 (methods) or a text/plain 500 (paths) if they got past us. */
  async function expectProblem(response: Response, status: number, type: string) {
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(await response.json()).toMatchObject({ type, status })
  }

  it.each(['PROPFIND', 'MKCOL', 'SEARCH', 'QUERY', 'PURGE', 'patch'])(
    'answers %s, a method Next routes to no handler, with a 501 problem on pages, form handlers and the API alike',
    async (method) => {
      const session = { authorization: `Bearer ${await userToken()}` }
      for (const [path, headers] of [
        ['/login', {}],
        ['/login/submit', {}],
        ['/api/hello', {}],
        ['/api/users', {}],
        ['/api/users', session],
        ['/nowhere', session],
      ] as const) {
        const response = await middleware(request(path, headers, method))
        await expectProblem(response, 501, '/problems/method-not-implemented')
      }
    },
  )

  it.each(['/api/users/%zz', '/api/users/%', '/api/users/%E2%82', '/api/hello/%C0%AF', '/users/%zz'])(
    'answers the malformed percent-escape in %s with a 400 problem, with a session or without',
    async (path) => {
      const headerSets: Record<string, string>[] = [{}, { authorization: `Bearer ${await userToken()}` }]
      for (const headers of headerSets) {
        await expectProblem(await middleware(request(path, headers)), 400, '/problems/malformed-path')
      }
    },
  )

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])(
    'answers %s on a static file with a 405 problem and Allow: GET, HEAD',
    async (method) => {
      for (const path of [
        '/vendor/scalar/api-reference.js',
        '/_next/static/chunks/app.js',
        '/favicon.ico',
        '/robots.txt',
      ]) {
        const response = await middleware(request(path, {}, method))
        expect(response.headers.get('allow'), path).toBe('GET, HEAD')
        await expectProblem(response, 405, '/problems/method-not-allowed')
      }
    },
  )

  it('lets well-formed escapes through, and leaves the query string to the routes', async () => {
    const session = { authorization: `Bearer ${await userToken()}` }
    for (const path of ['/api/users/%31', '/api/users?q=%zz', '/users/caf%C3%A9']) {
      expect((await middleware(request(path, session))).headers.get('x-middleware-next'), path).toBe('1')
    }
  })
})

describe('middleware.ts and identity headers', () => {
  const spoofed = {
    'x-edgeline-user-id': '1',
    'x-edgeline-user-role': 'admin',
    'X-Edgeline-Anything': 'x',
    'x-edgeline-site-origin': 'http://169.254.169.254',
  }

  // Pages and form handlers are what read x-edgeline-* (the API never does): they matter most here.
  it.each([
    '/api/hello',
    '/',
    '/login',
    '/signup',
    '/login/submit',
    '/signup/submit',
    '/users/submit',
    '/account/submit',
  ])('strips identity headers a client sends on the public path %s, and forwards the rest', async (path) => {
    const forwarded = forwardedHeaders(await middleware(request(path, { ...spoofed, 'x-custom': 'kept' })))
    expect(forwarded['x-custom']).toBe('kept')
    expect(Object.keys(forwarded).filter((name) => name.startsWith('x-edgeline-'))).toEqual([])
  })

  it.each(['/api/users', '/users', '/account', '/'])(
    'replaces spoofed identity headers with the verified identity on %s',
    async (path) => {
      const response = await middleware(
        request(path, { ...spoofed, authorization: `Bearer ${await userToken()}` }),
      )
      const forwarded = forwardedHeaders(response)
      expect(forwarded['x-edgeline-user-id']).toBe('42')
      expect(forwarded['x-edgeline-user-role']).toBe('user')
      expect(forwarded['x-edgeline-anything']).toBeUndefined()
    },
  )

  it('refuses spoofed identity headers without a token', async () => {
    expect((await middleware(request('/api/users', spoofed))).status).toBe(401)
    expect((await middleware(request('/admin', spoofed))).status).toBe(303)
  })
})

describe('middleware.ts configuration', () => {
  it('runs on every path except Next build output', () => {
    const [matcher] = config.matcher
    const pattern = new RegExp(`^${matcher}$`)
    for (const path of ['/', '/api/users', '/login', '/favicon.ico'])
      expect(pattern.test(path), path).toBe(true)
    for (const path of ['/_next/static/x.js', '/_next/image']) expect(pattern.test(path), path).toBe(false)
  })
})

describe('the edge gate, configured', () => {
  const preflight = { origin: 'https://app.example.test', 'access-control-request-method': 'POST' }
  const check = (options: GateOptions, path: string, init: RequestInit = {}) =>
    createEdgeGate(tokens, options)(new Request(new URL(path, BASE), init))

  it('lets a CORS preflight through without credentials when CORS is on, and only a real preflight', async () => {
    const corsOn = { corsEnabled: true }
    expect((await check(corsOn, '/api/users', { method: 'OPTIONS', headers: preflight })).action).toBe(
      'continue',
    )
    expect((await check(corsOn, '/api/users', { method: 'OPTIONS' })).action).toBe('respond')
  })

  it.each(['localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'app.localhost:3000', 'dev.example.test'])(
    'lets a development server answer Host %s, a loopback name or one allowed',
    async (host) => {
      const options = { corsEnabled: false, allowedHosts: [...LOOPBACK_HOSTS, 'dev.example.test'] }
      expect((await check(options, '/api/hello', { headers: { host } })).action).toBe('continue')
    },
  )

  it.each([
    'rebind.attacker.example:3000',
    'localhost.attacker.example',
    '127.0.0.1.nip.io',
    '192.168.1.20:3000',
  ])('refuses Host %s in development (DNS rebinding), before any token is read', async (host) => {
    const token = await tokens.signAccessToken({ userId: '42', role: 'admin' })
    const decision = await check({ corsEnabled: false, allowedHosts: LOOPBACK_HOSTS }, '/api/users', {
      headers: { host, authorization: `Bearer ${token}` },
    })
    expect(decision.action).toBe('respond')
    if (decision.action === 'respond') {
      expect(decision.response.status).toBe(403)
      expect(await decision.response.text()).toMatch(/DEV_ALLOWED_HOSTS/)
    }
  })

  it('answers any Host outside development', async () => {
    const decision = await check({ corsEnabled: false }, '/api/hello', {
      headers: { host: 'edgeline.example' },
    })
    expect(decision.action).toBe('continue')
  })
})
