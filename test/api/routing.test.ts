import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../edge/env'
import { answeringRuntime, createTestApp, type ProblemBody, signTestToken, withToken } from './support'

describe('routing and cross-cutting behaviour', () => {
  const { app: server, logs } = createTestApp()
  // Signed in (no path but the public ones answers without a session); a token needs no database round trip.
  const app = withToken(server, () => signTestToken({ userId: '1', role: 'user' }))

  it('greets on GET /api/hello', async () => {
    const response = await app.request('/api/hello')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({ message: 'Hello from Next.js Backend!' })
  })

  it('answers HEAD on a GET route with headers and no body', async () => {
    const response = await app.request('/api/hello', { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
  })

  it('answers an unknown path with a 404 problem', async () => {
    const response = await app.request('/api/nothing/here')
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    const problem = (await response.json()) as ProblemBody
    expect(problem).toMatchObject({
      type: '/problems/not-found',
      title: 'Not Found',
      status: 404,
      instance: '/api/nothing/here',
    })
    expect(problem.detail).toEqual(expect.any(String))
  })

  it.each([
    ['POST', '/api/hello', 'GET, HEAD'],
    ['DELETE', '/api/health', 'GET, HEAD'],
    ['PUT', '/api/users', 'GET, HEAD, POST'],
    ['DELETE', '/api/users', 'GET, HEAD, POST'],
    ['POST', '/api/users/1', 'GET, HEAD, PATCH, DELETE'],
    ['PUT', '/api/users/1', 'GET, HEAD, PATCH, DELETE'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const response = await app.request(path, { method })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe(allow)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(await response.json()).toMatchObject({ type: '/problems/method-not-allowed', status: 405 })
  })

  // `patch` is not PATCH (fetch normalises only DELETE, GET, HEAD, OPTIONS, POST and PUT), except in workerd, whose
  // Request upper-cases every method it knows: there a `patch` request is a PATCH, so the case does not exist.
  it.each(['PROPFIND', 'MKCOL', 'SEARCH', 'QUERY', ...(answeringRuntime === 'workerd' ? [] : ['patch'])])(
    'answers %s, a method no route implements, with a 501 problem, signed in or not',
    async (method) => {
      for (const client of [app, server]) {
        for (const path of ['/api/hello', '/api/users', '/api/nothing/here']) {
          const response = await client.request(path, { method })
          expect(response.status, `${method} ${path}`).toBe(501)
          expect(response.headers.get('content-type')).toBe('application/problem+json')
          expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
          expect(await response.json()).toMatchObject({
            type: '/problems/method-not-implemented',
            status: 501,
            instance: path,
          })
        }
      }
    },
  )

  it.each(['/api/users/%zz', '/api/users/%', '/api/users/%E2%82', '/api/hello/%C0%AF', '/api/%zz'])(
    'answers the malformed percent-escape in %s with a 400 problem, signed in or not',
    async (path) => {
      for (const client of [app, server]) {
        const response = await client.request(path)
        expect(response.status).toBe(400)
        expect(response.headers.get('content-type')).toBe('application/problem+json')
        expect(await response.json()).toMatchObject({ type: '/problems/malformed-path', status: 400 })
      }
    },
  )

  it('answers OPTIONS with 405 and Allow when CORS is not configured', async () => {
    const response = await app.request('/api/users', { method: 'OPTIONS' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST')
  })

  it('gives every response an x-request-id, including errors', async () => {
    for (const [method, path] of [
      ['GET', '/api/hello'],
      ['GET', '/api/missing'],
      ['POST', '/api/hello'],
      ['GET', '/api/users/abc'],
    ] as const) {
      const response = await app.request(path, { method })
      expect(response.headers.get('x-request-id'), `${method} ${path}`).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('keeps a valid incoming x-request-id and echoes it in problems', async () => {
    const response = await app.request('/api/missing', { headers: { 'X-Request-Id': 'trace-abc_123=' } })
    expect(response.headers.get('x-request-id')).toBe('trace-abc_123=')
    expect(((await response.json()) as ProblemBody).requestId).toBe('trace-abc_123=')
  })

  it('replaces an incoming x-request-id that is too long or has unsafe characters', async () => {
    for (const unsafe of ['has spaces', 'semi;colon', 'x'.repeat(256)]) {
      const response = await app.request('/api/hello', { headers: { 'X-Request-Id': unsafe } })
      expect(response.headers.get('x-request-id')).not.toBe(unsafe)
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('reports database and total time in server-timing', async () => {
    const response = await app.request('/api/users?limit=1')
    expect(response.status).toBe(200)
    const timing = response.headers.get('server-timing') ?? ''
    expect(timing).toMatch(/^db;dur=\d+(\.\d)?;desc="database", total;dur=\d+(\.\d)?$/)
    const db = Number(/db;dur=([\d.]+)/.exec(timing)?.[1])
    const total = Number(/total;dur=([\d.]+)/.exec(timing)?.[1])
    expect(db).toBeGreaterThan(0)
    expect(db).toBeLessThanOrEqual(total + 0.1)
  })

  it('reports zero database time when a request never reaches the database', async () => {
    const response = await app.request('/api/hello')
    expect(response.headers.get('server-timing')).toMatch(/^db;dur=0\.0;/)
  })

  it('writes exactly one structured log line per request', async () => {
    const before = logs.length
    const response = await app.request('/api/users/123456789', {
      headers: { 'X-Request-Id': 'log-line-test' },
    })
    expect(logs.length - before).toBe(1)
    expect(logs.at(-1)).toMatchObject({
      level: 'warn',
      msg: 'request',
      requestId: 'log-line-test',
      method: 'GET',
      path: '/api/users/123456789',
      status: response.status,
      dbCalls: 1,
    })
    expect(logs.at(-1)?.durationMs).toEqual(expect.any(Number))
    expect(Date.parse(logs.at(-1)?.time ?? '')).not.toBeNaN()
  })

  it('logs a method no route implements as a client mistake (warn), with no error attached', async () => {
    const before = logs.length
    const response = await app.request('/api/users', { method: 'PROPFIND' })
    expect(response.status).toBe(501)
    expect(logs.length - before).toBe(1)
    expect(logs.at(-1)).toMatchObject({ level: 'warn', method: 'PROPFIND', status: 501 })
    expect(logs.at(-1)).not.toHaveProperty('error')
  })
})

describe('CORS', () => {
  const { app } = createTestApp({ config: { corsOrigins: ['https://app.example.test'] } })

  it('allows a configured origin and exposes the request id, timing, location, ETag and replay headers', async () => {
    const response = await app.request('/api/hello', { headers: { Origin: 'https://app.example.test' } })
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.test')
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(/,\s*/)
    for (const name of ['X-Request-Id', 'Server-Timing', 'Location', 'ETag', 'Idempotent-Replayed']) {
      expect(exposed, name).toContain(name)
    }
  })

  it('answers a preflight from a configured origin with 204', async () => {
    const response = await app.request('/api/users', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.test', 'Access-Control-Request-Method': 'POST' },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.test')
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/)
  })

  it('allows any origin when CORS_ORIGINS is *, preflights included', async () => {
    const { corsOrigins } = parseConfig({ CORS_ORIGINS: '*' })
    const { app: open } = createTestApp({ config: { corsOrigins } })
    for (const origin of ['https://app.example.test', 'https://anyone.example', 'http://localhost:5173']) {
      const response = await open.request('/api/hello', { headers: { Origin: origin } })
      expect(response.headers.get('access-control-allow-origin'), origin).toBe('*')
    }
    const preflight = await open.request('/api/users', {
      method: 'OPTIONS',
      headers: { Origin: 'https://anyone.example', 'Access-Control-Request-Method': 'DELETE' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('does not allow an origin that is not configured', async () => {
    const response = await app.request('/api/hello', { headers: { Origin: 'https://evil.example.test' } })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })
})
