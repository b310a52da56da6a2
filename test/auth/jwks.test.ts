/** An external identity provider plugged in by JWKS_URL: its tokens work end to end, and its key rotation is followed. */

import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest'
import { users } from '../../db/schema'
import { parseConfig } from '../../edge/env'
import {
  createTestApp,
  jsonInit,
  type ProblemBody,
  testAuthConfig,
  testDatabase,
  uniqueEmail,
} from '../api/support'
import {
  type ProviderAlgorithm,
  startTestIdentityProvider,
  type TestIdentityProvider,
} from '../support/identity-provider'

// The shared provider (global setup) for tokens that are only verified; a private one for rotation, so rotating
// here never invalidates a token another test file is verifying at that moment.
const sharedProvider = inject('identityProviderUrl')
let privateProvider: TestIdentityProvider

beforeAll(async () => {
  privateProvider = await startTestIdentityProvider()
})
afterAll(async () => {
  await privateProvider?.close()
})

function appTrusting(providerUrl: string, overrides: Parameters<typeof testAuthConfig>[0] = {}) {
  const auth = testAuthConfig({
    jwksUrl: `${providerUrl}/jwks.json`,
    jwksCooldownMs: 0,
    jwksCacheMaxAgeMs: 0,
    ...overrides,
  })
  return createTestApp({ config: { auth } }).app
}

async function providerToken(providerUrl: string, claims: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${providerUrl}/token`, { method: 'POST', body: JSON.stringify(claims) })
  return response.text()
}

describe('tokens of an external identity provider (JWKS_URL)', () => {
  it('are accepted by Bearer header and by cookie, and their role claim is honoured', async () => {
    const app = appTrusting(sharedProvider)
    const token = await providerToken(sharedProvider, { sub: 'ext-admin', role: 'admin' })
    const headerSets: Record<string, string>[] = [
      { Authorization: `Bearer ${token}` },
      { Cookie: `__Host-edgeline_session=${token}` },
    ]
    for (const headers of headerSets) {
      const response = await app.request('/api/auth/me', { headers })
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ userId: 'ext-admin', role: 'admin', user: null })
    }
  })

  it.each(['RS256', 'EdDSA'] satisfies ProviderAlgorithm[])(
    'are accepted when signed with %s, as with ES256',
    async (algorithm) => {
      const provider = await startTestIdentityProvider({ algorithm })
      onTestFinished(() => provider.close())
      const token = await providerToken(provider.url, { sub: `ext-${algorithm}`, role: 'admin' })
      expect(JSON.parse(atob(token.split('.')[0] ?? '')).alg).toBe(algorithm)
      const response = await appTrusting(provider.url).request('/api/auth/me', {
        headers: { Authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ userId: `ext-${algorithm}`, role: 'admin', user: null })
    },
  )

  it('keep working beside the built-in accounts signed with JWT_SECRET', async () => {
    const app = appTrusting(sharedProvider)
    const signup = await app.request('/api/auth/signup', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'Local',
        email: `${crypto.randomUUID()}@example.test`,
        password: 'long enough pw',
      }),
    })
    expect(signup.status).toBe(201)
    const { accessToken } = (await signup.json()) as { accessToken: string }
    expect(
      (await app.request('/api/auth/me', { headers: { Authorization: `Bearer ${accessToken}` } })).status,
    ).toBe(200)
  })

  it('are refused when expired, or when the issuer or audience does not match the configuration', async () => {
    const app = appTrusting(sharedProvider, { issuer: 'https://idp.example.test', audience: 'edgeline' })
    const good = { iss: 'https://idp.example.test', aud: 'edgeline' }
    const cases: [string, Record<string, unknown>][] = [
      ['expired', { ...good, sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 }],
      ['wrong issuer', { ...good, sub: 'x', iss: 'https://evil.example.test' }],
      ['wrong audience', { ...good, sub: 'x', aud: 'someone-else' }],
      ['no subject', { ...good }],
    ]
    for (const [name, claims] of cases) {
      const token = await providerToken(sharedProvider, claims)
      const response = await app.request('/api/auth/me', { headers: { Authorization: `Bearer ${token}` } })
      expect(response.status, name).toBe(401)
    }
    const accepted = await providerToken(sharedProvider, { ...good, sub: 'x' })
    expect(
      (await app.request('/api/auth/me', { headers: { Authorization: `Bearer ${accepted}` } })).status,
    ).toBe(200)
  })

  it('disable the built-in accounts when JWKS_URL is set without JWT_SECRET: sign-up and log-in answer 501', async () => {
    const auth = parseConfig({ JWKS_URL: `${sharedProvider}/jwks.json` }).auth
    const { app } = createTestApp({ config: { auth } })
    const email = uniqueEmail('no-accounts')
    const attempts = [
      app.request(
        '/api/auth/signup',
        jsonInit('POST', { name: 'Nobody', email, password: 'long enough pw' }),
      ),
      app.request('/api/auth/login', jsonInit('POST', { email, password: 'long enough pw' })),
    ]
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(501)
      expect(((await response.json()) as ProblemBody).type).toBe('/problems/accounts-disabled')
    }
    expect(await testDatabase().select().from(users).where(eq(users.email, email))).toEqual([])
    // The provider's tokens are what such a deployment runs on.
    const token = await providerToken(sharedProvider, { sub: 'ext-only' })
    expect(
      (await app.request('/api/auth/me', { headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(200)
  })

  it('are refused when no JWKS_URL is configured', async () => {
    const app = createTestApp().app
    const token = await providerToken(sharedProvider, { sub: 'ext-1' })
    expect(
      (await app.request('/api/auth/me', { headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(401)
  })

  it('follow a key rotation: the new key is fetched, tokens of the removed key are refused', async () => {
    const app = appTrusting(privateProvider.url)
    const me = (token: string) =>
      app.request('/api/auth/me', { headers: { Authorization: `Bearer ${token}` } })
    const before = await providerToken(privateProvider.url, { sub: 'ext-rotating' })
    expect((await me(before)).status).toBe(200)

    await fetch(`${privateProvider.url}/rotate`, { method: 'POST' })
    const after = await providerToken(privateProvider.url, { sub: 'ext-rotating' })
    expect((await me(after)).status).toBe(200)
    const refused = await me(before)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  })
})
