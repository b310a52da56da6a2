/**
 * Every forged or stale token is refused by the Hono app itself, with no middleware.ts in front of it (as on
 * another runtime, or if the middleware were bypassed): by Bearer header and by session cookie alike.
 */
import { describe, expect, it } from 'vitest'
import {
  createAccount,
  createTestApp,
  jsonInit,
  type ProblemBody,
  signTestToken,
  TEST_JWT_SECRET,
  testAuthConfig,
  uniqueEmail,
} from '../api/support'
import { forgedTokens } from '../support/forged-tokens'

const ISSUER = 'https://edgeline.test'
const AUDIENCE = 'edgeline-api'
const auth = testAuthConfig({ issuer: ISSUER, audience: AUDIENCE })
const { app } = createTestApp({ config: { auth } })
const forgeries = forgedTokens({ secret: TEST_JWT_SECRET, issuer: ISSUER, audience: AUDIENCE })

describe('forged tokens', () => {
  it.each(forgeries)(
    'refuses %s as a Bearer token and as a cookie, with invalid_token',
    async (_name, forge) => {
      const token = await forge()
      const byHeader = await app.request('/api/users', { headers: { Authorization: `Bearer ${token}` } })
      const byCookie = await app.request('/api/users', {
        headers: { Cookie: `__Host-edgeline_session=${token}` },
      })
      for (const response of [byHeader, byCookie]) {
        expect(response.status).toBe(401)
        expect(response.headers.get('content-type')).toBe('application/problem+json')
        expect(((await response.json()) as ProblemBody).type).toBe('/problems/unauthorized')
      }
      expect(byHeader.headers.get('www-authenticate')).toBe('Bearer realm="edgeline", error="invalid_token"')
      // An empty cookie is no cookie at all: the answer is "log in", not "invalid token".
      if (token !== '') expect(byCookie.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    },
  )

  it('accepts a genuine token, by Bearer header and by cookie (the control for the forgeries above)', async () => {
    const token = await signTestToken({ userId: '1', role: 'user' }, auth)
    expect(
      (await app.request('/api/users?limit=1', { headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(200)
    expect(
      (await app.request('/api/users?limit=1', { headers: { Cookie: `__Host-edgeline_session=${token}` } }))
        .status,
    ).toBe(200)
  })

  it('answers 401 without error="invalid_token" when no token is sent', async () => {
    const response = await app.request('/api/users')
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="edgeline"')
  })

  it('prefers an invalid Bearer token over a valid cookie: explicit credentials that fail are refused', async () => {
    const valid = await signTestToken({ userId: '1', role: 'user' }, auth)
    const response = await app.request('/api/users', {
      headers: { Authorization: 'Bearer forged', Cookie: `__Host-edgeline_session=${valid}` },
    })
    expect(response.status).toBe(401)
  })
})

describe('spoofed identity headers', () => {
  const spoofed = { 'X-Edgeline-User-Id': '1', 'X-Edgeline-User-Role': 'admin' }

  it('are not a session: without a token the request is refused', async () => {
    const response = await app.request('/api/users', { headers: spoofed })
    expect(response.status).toBe(401)
  })

  it('do not raise a signed-in user to admin', async () => {
    const user = await createAccount(app, 'user', 'spoofer')
    const response = await user.client.request(
      '/api/users',
      jsonInit('POST', { name: 'Made By Spoof', email: uniqueEmail('spoofed') }, spoofed),
    )
    expect(response.status).toBe(403)
  })
})

describe('path tricks around the public list', () => {
  it.each([
    ['/api/health/../users'],
    ['/api/hello/%2e%2e/users'],
    ['/api/hello%2F..%2Fusers'],
    ['/api/hello%2f..%2fusers'],
    ['/api/hello/..%2Fusers'],
    ['/api/Users'],
    ['/api/USERS/1'],
    ['/api/HELLO'],
    ['/api/users/'],
    ['/api/hello/'],
    ['/api/health/'],
    ['/api/%68ello'],
    ['/api/auth/login/../../users'],
    ['/api//hello'],
    ['/api/hello;/../users'],
    ['/api/auth/me'],
    ['/api/nothing/here'],
  ])('refuses %s without a token, whatever the path resolves to', async (path) => {
    const response = await app.request(path)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="edgeline"')
  })

  it('still serves the public paths exactly as listed', async () => {
    expect((await app.request('/api/hello')).status).toBe(200)
    expect((await app.request('/api/health')).status).toBe(200)
    // Public, and answered by their own rules: a log-in without a body is a validation problem, not a 401.
    expect((await app.request('/api/auth/login', jsonInit('POST', {}))).status).toBe(422)
  })
})
