/**
 * Every forged or stale token is refused by the Hono app itself, with no middleware.ts in front of it (as on
 * another runtime, or if the middleware were bypassed): by Bearer header and by session cookie alike.
 */
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose'
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

const ISSUER = 'https://edgeline.test'
const AUDIENCE = 'edgeline-api'
const auth = testAuthConfig({ issuer: ISSUER, audience: AUDIENCE })
const { app } = createTestApp({ config: { auth } })
const now = () => Math.floor(Date.now() / 1000)
const secretKey = new TextEncoder().encode(TEST_JWT_SECRET)

/** Our key id for the test secret, read from a genuine token (the id is derived from the secret). */
async function ourKeyId(): Promise<string> {
  const token = await signTestToken({ userId: '1', role: 'user' }, auth)
  return JSON.parse(atob(token.split('.')[0] ?? '')).kid
}

/** A token with our secret and key id but claims of the test's choosing. */
async function signed(claims: Record<string, unknown>, key: Uint8Array = secretKey) {
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: '1', role: 'admin', ...claims })
    .setProtectedHeader({ alg: 'HS256', kid: await ourKeyId() })
    .sign(key)
}

const forgeries: [string, () => Promise<string>][] = [
  [
    'alg: none',
    async () =>
      new UnsecuredJWT({ sub: '1', role: 'admin', iss: ISSUER, aud: AUDIENCE })
        .setExpirationTime('5m')
        .encode(),
  ],
  [
    'alg: none with our key id',
    async () => {
      const [, payload] = (await signed({ exp: now() + 300 })).split('.')
      const header = btoa(JSON.stringify({ alg: 'none', kid: await ourKeyId() })).replace(/=+$/, '')
      return `${header}.${payload}.`
    },
  ],
  [
    'a wrong secret under our key id',
    () => signed({ exp: now() + 300 }, new TextEncoder().encode('an-attacker-secret-that-is-also-32-bytes')),
  ],
  [
    'HS256 signed with an RSA public key as the secret',
    async () => {
      const { publicKey } = await generateKeyPair('RS256', { extractable: true })
      const pem = await exportSPKI(publicKey)
      return new SignJWT({ sub: '1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(pem))
    },
  ],
  [
    'RS256 signed with a key of its own (no JWKS configured)',
    async () => {
      const { privateKey } = await generateKeyPair('RS256')
      return new SignJWT({ sub: '1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })
        .setProtectedHeader({ alg: 'RS256', kid: 'attacker' })
        .sign(privateKey)
    },
  ],
  ['an expired token', () => signed({ exp: now() - 60 })],
  ['a token that is not valid yet', () => signed({ exp: now() + 900, nbf: now() + 300 })],
  ['a token without an expiry', () => signed({})],
  ['a wrong issuer', () => signed({ exp: now() + 300, iss: 'https://evil.test' })],
  ['a wrong audience', () => signed({ exp: now() + 300, aud: 'another-api' })],
  ['no issuer or audience', () => signed({ exp: now() + 300, iss: undefined, aud: undefined })],
  [
    'a payload tampered after signing (role raised to admin)',
    async () => {
      const [header, , signature] = (await signTestToken({ userId: '1', role: 'user' }, auth)).split('.')
      const payload = btoa(
        JSON.stringify({ sub: '1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 }),
      )
        .replace(/=+$/, '')
        .replaceAll('+', '-')
        .replaceAll('/', '_')
      return `${header}.${payload}.${signature}`
    },
  ],
  [
    'an unknown key id',
    () =>
      new SignJWT({ sub: '1', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })
        .setProtectedHeader({ alg: 'HS256', kid: 'rotated-out' })
        .sign(secretKey),
  ],
  [
    'a token signed with a previous secret that is no longer configured',
    () =>
      signTestToken(
        { userId: '1', role: 'admin' },
        testAuthConfig({
          secrets: ['a-retired-secret-of-at-least-32-bytes-long'],
          issuer: ISSUER,
          audience: AUDIENCE,
        }),
      ),
  ],
  ['text that is not a JWT', async () => 'not.a.jwt'],
  ['an empty token', async () => ''],
]

describe('forged tokens', () => {
  it.each(forgeries)(
    'refuses %s as a Bearer token and as a cookie, with invalid_token',
    async (_name, forge) => {
      const token = await forge()
      const byHeader = await app.request('/api/users', { headers: { Authorization: `Bearer ${token}` } })
      const byCookie = await app.request('/api/users', { headers: { Cookie: `edgeline_session=${token}` } })
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
      (await app.request('/api/users?limit=1', { headers: { Cookie: `edgeline_session=${token}` } })).status,
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
      headers: { Authorization: 'Bearer forged', Cookie: `edgeline_session=${valid}` },
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
