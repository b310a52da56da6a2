/**
 * Every forged or stale token of test/support/forged-tokens.ts is refused by middleware.ts itself, called as Next
 * calls it, configured (by environment, as in production) with a secret, an issuer and an audience.
 */
import { NextRequest } from 'next/server'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createTokenService } from '../../edge/auth/tokens'
import { forgedTokens } from '../support/forged-tokens'

const SECRET = 'a-middleware-test-secret-of-at-least-32-bytes'
const ISSUER = 'https://edgeline.test'
const AUDIENCE = 'edgeline-api'
// middleware.ts reads its configuration once, when it loads: set it first (this file has its own module registry).
vi.stubEnv('JWT_SECRET', SECRET)
vi.stubEnv('JWT_ISSUER', ISSUER)
vi.stubEnv('JWT_AUDIENCE', AUDIENCE)
const { middleware } = await import('../../middleware')
afterAll(() => {
  vi.unstubAllEnvs()
})

const BASE = 'http://localhost:3000'
const forgeries = forgedTokens({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE })

function request(path: string, headers: Record<string, string>) {
  return new NextRequest(new URL(path, BASE), { headers })
}

describe('middleware.ts and forged tokens', () => {
  it('is given every forgery of the shared list, issuer and audience ones included', () => {
    expect(forgeries.map(([name]) => name)).toContain('a wrong audience')
    expect(forgeries.length).toBe(16)
  })

  it.each(forgeries)('refuses %s on the API, as a Bearer token and as a cookie', async (_name, forge) => {
    const token = await forge()
    const byHeader = await middleware(request('/api/users', { authorization: `Bearer ${token}` }))
    const byCookie = await middleware(request('/api/users', { cookie: `__Host-edgeline_session=${token}` }))
    for (const response of [byHeader, byCookie]) {
      expect(response.status).toBe(401)
      expect(response.headers.get('x-middleware-next')).toBeNull()
      expect(response.headers.get('content-type')).toBe('application/problem+json')
    }
    expect(byHeader.headers.get('www-authenticate')).toBe('Bearer realm="edgeline", error="invalid_token"')
    // An empty cookie is no cookie at all: the answer is "log in", not "invalid token".
    if (token !== '') expect(byCookie.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  })

  it.each(forgeries)(
    'sends a page visit with %s as its session cookie to renew the session',
    async (_name, forge) => {
      const response = await middleware(
        request('/users', { cookie: `__Host-edgeline_session=${await forge()}` }),
      )
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe(`${BASE}/api/auth/resume?next=%2Fusers`)
    },
  )

  it('lets a genuine token through with its identity (the control for the forgeries above)', async () => {
    const token = await createTokenService({
      secrets: [SECRET],
      issuer: ISSUER,
      audience: AUDIENCE,
      accessTokenSeconds: 300,
      clockToleranceSeconds: 5,
    }).signAccessToken({ userId: '1', role: 'admin' })
    const headerSets: Record<string, string>[] = [
      { authorization: `Bearer ${token}` },
      { cookie: `__Host-edgeline_session=${token}` },
    ]
    for (const headers of headerSets) {
      const response = await middleware(request('/api/users', headers))
      expect(response.headers.get('x-middleware-next')).toBe('1')
      expect(response.headers.get('x-middleware-request-x-edgeline-user-role')).toBe('admin')
    }
  })
})
