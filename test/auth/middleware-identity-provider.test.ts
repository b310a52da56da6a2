/** middleware.ts configured with only JWKS_URL, as a deployment on an external identity provider is. */
import { NextRequest } from 'next/server'
import { afterAll, describe, expect, inject, it, vi } from 'vitest'
import { createTokenService } from '../../edge/auth/tokens'
import { DEVELOPMENT_JWT_SECRET } from '../../edge/env'

const provider = inject('identityProviderUrl')
// middleware.ts reads its configuration once, when it loads: set it first (this file has its own module registry).
vi.stubEnv('JWKS_URL', `${provider}/jwks.json`)
const { middleware } = await import('../../middleware')
afterAll(() => {
  vi.unstubAllEnvs()
})

async function providerToken(claims: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${provider}/token`, { method: 'POST', body: JSON.stringify(claims) })
  return response.text()
}

const request = (path: string, headers: Record<string, string>) =>
  new NextRequest(new URL(path, 'http://localhost:3000'), { headers })

describe('middleware.ts with an external identity provider (JWKS_URL only)', () => {
  it("lets the provider's token through by Bearer header and by cookie, forwarding its subject and role", async () => {
    const token = await providerToken({ sub: 'ext-mw', role: 'admin' })
    const headerSets: Record<string, string>[] = [
      { authorization: `Bearer ${token}` },
      { cookie: `__Host-edgeline_session=${token}` },
    ]
    for (const [path, headers] of headerSets.flatMap((headers) => [
      ['/api/users', headers] as const,
      ['/users', headers] as const,
    ])) {
      const response = await middleware(request(path, headers))
      expect(response.headers.get('x-middleware-next'), path).toBe('1')
      expect(response.headers.get('x-middleware-request-x-edgeline-user-id'), path).toBe('ext-mw')
      expect(response.headers.get('x-middleware-request-x-edgeline-user-role'), path).toBe('admin')
    }
  })

  it("refuses the provider's expired token, and a token signed with the development secret", async () => {
    const expired = await providerToken({ sub: 'ext-mw', exp: Math.floor(Date.now() / 1000) - 60 })
    const response = await middleware(request('/api/users', { authorization: `Bearer ${expired}` }))
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="edgeline", error="invalid_token"')
    // Without JWT_SECRET there is no secret at all, not the published development one.
    const ours = await createTokenService({
      secrets: [DEVELOPMENT_JWT_SECRET],
      accessTokenSeconds: 300,
      clockToleranceSeconds: 5,
    }).signAccessToken({ userId: '1', role: 'admin' })
    expect((await middleware(request('/api/users', { authorization: `Bearer ${ours}` }))).status).toBe(401)
  })
})
