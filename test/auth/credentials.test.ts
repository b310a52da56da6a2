/**
 * The perimeter's small rules, one function at a time: where a token is read from, which identity headers count,
 * which hosts and request ids pass, which client and email a log-in attempt is counted against, and which stored
 * values are ours at all.
 */
import { describe, expect, it } from 'vitest'
import {
  readCookie,
  readCredential,
  readIdentityHeaders,
  withoutIdentityHeaders,
} from '../../edge/auth/credentials'
import {
  createEdgeGate,
  identifyCaller,
  isAllowedHost,
  mayPassWithoutSession,
  requestIdOf,
} from '../../edge/auth/gate'
import { clientAddress, loginBuckets } from '../../edge/auth/login-throttle'
import { hashPassword, needsRehash, verifyPassword } from '../../edge/auth/password'
import { isPublicPath } from '../../edge/auth/public-paths'
import { hashRefreshToken, isWellFormedRefreshToken, newRefreshToken } from '../../edge/auth/refresh-tokens'
import { createTokenService, InvalidTokenError } from '../../edge/auth/tokens'
import { LOOPBACK_HOSTS } from '../../edge/env'

const headers = (entries: Record<string, string>) => new Headers(entries)
/** A request over https, where the session cookie is `__Host-edgeline_session`. */
const request = (entries: Record<string, string>) =>
  new Request('https://app.example.test/', { headers: entries })

/** base64url SHA-256, computed here rather than with the app's helper. */
async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return btoa(String.fromCharCode(...digest))
    .replace(/=+$/, '')
    .replaceAll('+', '-')
    .replaceAll('/', '_')
}

describe('readCredential', () => {
  it('reads a Bearer token, whatever the case of the scheme, and prefers it over the cookie', () => {
    expect(
      readCredential(request({ authorization: 'bearer abc.def', cookie: '__Host-edgeline_session=c' })),
    ).toEqual({
      source: 'bearer',
      token: 'abc.def',
    })
  })

  it('counts a Bearer header with nothing after it as an empty token sent', () => {
    expect(readCredential(request({ authorization: 'Bearer' }))).toEqual({ source: 'bearer', token: '' })
  })

  it('ignores other schemes and words that only contain Bearer, and falls back to the cookie', () => {
    for (const authorization of ['Basic dXNlcjpwdw==', 'NotBearer abc', 'Bearerabc', 'Bearer-x abc']) {
      expect(
        readCredential(request({ authorization, cookie: '__Host-edgeline_session=from-cookie' })),
        authorization,
      ).toEqual({
        source: 'cookie',
        token: 'from-cookie',
      })
      expect(readCredential(request({ authorization })), authorization).toEqual({ source: 'none' })
    }
  })
})

describe('readCookie', () => {
  it('finds one cookie among others, trimmed', () => {
    expect(readCookie(headers({ cookie: 'a=1; edgeline_session= tok ;b=2' }), 'edgeline_session')).toBe('tok')
  })

  it('answers undefined for an empty value, a missing cookie, a pair without "=" or a longer name', () => {
    for (const cookie of [
      'edgeline_session=',
      'other=1',
      'edgeline_sessionX',
      'edgeline_sessionX=1',
      '=edgeline_session',
    ]) {
      expect(readCookie(headers({ cookie }), 'edgeline_session'), cookie).toBeUndefined()
    }
    expect(readCookie(new Headers(), 'edgeline_session')).toBeUndefined()
  })

  it('refuses a name sent twice, whatever the values (one may be planted): a problem, never a guess', () => {
    for (const cookie of ['s=a; s=b', 's=a;s=a', 's=; s=b', ' s = a ; t=1; s=b']) {
      expect(() => readCookie(headers({ cookie }), 's'), cookie).toThrow(
        expect.objectContaining({ slug: 'ambiguous-cookies', status: 400 }),
      )
    }
    // Other names twice, or a longer name, are none of its business.
    expect(readCookie(headers({ cookie: 't=1; t=2; s=a; sx=b' }), 's')).toBe('a')
  })
})

describe('identity headers', () => {
  it('are read only as a user id with the role admin or user', () => {
    expect(
      readIdentityHeaders(headers({ 'x-edgeline-user-id': '7', 'x-edgeline-user-role': 'admin' })),
    ).toEqual({
      userId: '7',
      role: 'admin',
    })
    expect(
      readIdentityHeaders(headers({ 'x-edgeline-user-id': '7', 'x-edgeline-user-role': 'user' })),
    ).toEqual({
      userId: '7',
      role: 'user',
    })
    const refused: Record<string, string>[] = [
      { 'x-edgeline-user-role': 'admin' },
      { 'x-edgeline-user-id': '7' },
      { 'x-edgeline-user-id': '7', 'x-edgeline-user-role': 'root' },
      { 'x-edgeline-user-id': '7', 'x-edgeline-user-role': '' },
    ]
    for (const entries of refused) {
      expect(readIdentityHeaders(headers(entries)), JSON.stringify(entries)).toBeUndefined()
    }
  })

  it('are all removed from a copy, whatever their case, and nothing else is', () => {
    const clean = withoutIdentityHeaders(
      headers({ 'X-Edgeline-User-Id': '1', 'x-edgeline-other': 'x', accept: 'a' }),
    )
    expect([...clean.keys()]).toEqual(['accept'])
  })
})

describe('the gate', () => {
  const tokens = createTokenService({
    secrets: ['a-gate-test-secret-of-at-least-32-bytes'],
    accessTokenSeconds: 60,
    clockToleranceSeconds: 0,
  })

  it('tells no token, a valid token and a refused token apart', async () => {
    expect(await identifyCaller(request({}), tokens)).toStrictEqual({ identity: undefined, refused: false })
    const token = await tokens.signAccessToken({ userId: '5', role: 'user' })
    expect(await identifyCaller(request({ authorization: `Bearer ${token}` }), tokens)).toStrictEqual({
      identity: { userId: '5', role: 'user' },
      refused: false,
    })
    expect(await identifyCaller(request({ authorization: 'Bearer nope' }), tokens)).toStrictEqual({
      identity: undefined,
      refused: true,
    })
  })

  it('lets only a complete CORS preflight through without a session, and only when CORS is on', () => {
    const preflight = { origin: 'https://app.example.test', 'access-control-request-method': 'POST' }
    const on = { corsEnabled: true }
    expect(mayPassWithoutSession('/api/users', 'OPTIONS', headers(preflight), on)).toBe(true)
    expect(mayPassWithoutSession('/api/users', 'OPTIONS', headers(preflight), { corsEnabled: false })).toBe(
      false,
    )
    expect(mayPassWithoutSession('/api/users', 'GET', headers(preflight), on)).toBe(false)
    expect(mayPassWithoutSession('/api/users', 'OPTIONS', headers({ origin: preflight.origin }), on)).toBe(
      false,
    )
    expect(
      mayPassWithoutSession(
        '/api/users',
        'OPTIONS',
        headers({ 'access-control-request-method': 'POST' }),
        on,
      ),
    ).toBe(false)
  })

  it('matches allowed hosts by whole name, port ignored, and refuses a request without a Host', () => {
    expect(isAllowedHost('LocalHost:3000', LOOPBACK_HOSTS)).toBe(true)
    expect(isAllowedHost('[::1]', LOOPBACK_HOSTS)).toBe(true)
    expect(isAllowedHost('app.localhost', LOOPBACK_HOSTS)).toBe(true)
    expect(isAllowedHost(null, LOOPBACK_HOSTS)).toBe(false)
    expect(isAllowedHost(null, undefined)).toBe(true)
    for (const host of [
      'evillocalhost',
      'local:1host',
      'attacker.example[::1]',
      'localhost.attacker.example',
    ]) {
      expect(isAllowedHost(host, LOOPBACK_HOSTS), host).toBe(false)
    }
  })

  it('names the allowed hosts when it refuses one', async () => {
    const gate = createEdgeGate(tokens, { corsEnabled: false, allowedHosts: ['localhost', '127.0.0.1'] })
    const decision = await gate(
      new Request('http://rebind.example/api/hello', { headers: { host: 'rebind.example' } }),
    )
    expect(decision.action).toBe('respond')
    if (decision.action === 'respond')
      expect(await decision.response.text()).toContain('only localhost, 127.0.0.1 (')
  })

  it('lets GET and HEAD read a static file and answers any other method itself', async () => {
    const gate = createEdgeGate(tokens, { corsEnabled: false })
    for (const method of ['GET', 'HEAD']) {
      expect((await gate(new Request('http://localhost/favicon.ico', { method }))).action, method).toBe(
        'continue',
      )
    }
    expect((await gate(new Request('http://localhost/favicon.ico', { method: 'DELETE' }))).action).toBe(
      'respond',
    )
  })

  it('echoes a safe request id of up to 255 characters and replaces any other with a UUID', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
    expect(requestIdOf(headers({ 'x-request-id': 'a'.repeat(255) }))).toBe('a'.repeat(255))
    expect(requestIdOf(headers({ 'x-request-id': 'abc-DEF_1=' }))).toBe('abc-DEF_1=')
    for (const unsafe of ['a'.repeat(256), 'has space', 'ends-badly!', '!starts-badly']) {
      expect(requestIdOf(headers({ 'x-request-id': unsafe })), unsafe).toMatch(uuid)
    }
    expect(requestIdOf(new Headers())).toMatch(uuid)
  })
})

describe('public path prefixes', () => {
  it('never make a path public that climbs out of them with encoded dots or separators', () => {
    expect(isPublicPath('/_next/static/chunks/app.js')).toBe(true)
    for (const path of [
      '/_next/static/%2e%2e/%2e%2e/api/users',
      '/vendor/..%2f..%2fapi/users',
      '/vendor/x%5c..',
    ]) {
      expect(isPublicPath(path), path).toBe(false)
    }
  })
})

describe('log-in throttling buckets', () => {
  it('count a client by the first forwarded address, trimmed and lower-cased, else by x-real-ip', () => {
    expect(clientAddress(headers({ 'x-forwarded-for': 'FE80::1 , 10.0.0.1' }))).toBe('fe80::1')
    expect(clientAddress(headers({ 'x-real-ip': 'FE80::2' }))).toBe('fe80::2')
    expect(clientAddress(new Headers())).toBeUndefined()
  })

  it('are the SHA-256 of the trimmed, lower-cased email and of the client address, never the values', async () => {
    const buckets = await loginBuckets(' Someone@Example.TEST ', headers({ 'x-forwarded-for': 'FE80::3' }))
    expect(buckets).toEqual({
      email: await sha256('email:someone@example.test'),
      client: await sha256('client:fe80::3'),
    })
    expect((await loginBuckets('a@b.test', new Headers())).client).toBeUndefined()
  })
})

describe('stored values that are not ours', () => {
  it('are refused as password hashes, never verified, and always rehashed', async () => {
    const stored = await hashPassword('the password', 1_000)
    const [, iterations, salt, hash] = stored.split('$')
    for (const forged of [
      `md5$${iterations}$${salt}$${hash}`,
      `pbkdf2-sha256$a${iterations}$${salt}$${hash}`,
      `pbkdf2-sha256$${iterations}a$${salt}$${hash}`,
      `pbkdf2-sha256$$${salt}$${hash}`,
    ]) {
      expect(await verifyPassword('the password', forged), forged).toBe(false)
      expect(needsRehash(forged), forged).toBe(true)
    }
    expect(await verifyPassword('the password', stored)).toBe(true)
  })

  it('are refused as refresh tokens unless exactly 43 base64url characters', async () => {
    const token = newRefreshToken()
    expect(isWellFormedRefreshToken(token)).toBe(true)
    for (const bad of [`!${token}`, `${token}!`, token.slice(1), `${token}a`, `${token.slice(1)}=`]) {
      expect(isWellFormedRefreshToken(bad), bad).toBe(false)
    }
    expect(await hashRefreshToken(token)).toBe(await sha256(token))
  })
})

describe('token refusals', () => {
  const secret = 'a-refusal-test-secret-of-at-least-32-bytes'
  const service = createTokenService({ secrets: [secret], accessTokenSeconds: 60, clockToleranceSeconds: 0 })

  it('are InvalidTokenErrors, by name too', async () => {
    const refusal = await service.verifyAccessToken('nope').catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(InvalidTokenError)
    expect((refusal as Error).name).toBe('InvalidTokenError')
  })

  it('refuse a token of ours with an empty subject, or none', async () => {
    const { SignJWT } = await import('jose')
    const kid = JSON.parse(
      atob((await service.signAccessToken({ userId: '1', role: 'user' })).split('.')[0] ?? ''),
    ).kid
    for (const claims of [{ sub: '' }, {}]) {
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid })
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode(secret))
      await expect(service.verifyAccessToken(token), JSON.stringify(claims)).rejects.toThrow(
        InvalidTokenError,
      )
    }
  })

  it('sign tokens of type JWT that name the session, and read the session back only from our own', async () => {
    const token = await service.signAccessToken({ userId: '3', role: 'admin', sessionId: 'family-1' })
    expect(JSON.parse(atob(token.split('.')[0] ?? ''))).toMatchObject({ typ: 'JWT', alg: 'HS256' })
    expect(await service.verifyAccessToken(token)).toEqual({
      userId: '3',
      role: 'admin',
      sessionId: 'family-1',
    })
  })

  it('refuse to sign without a secret', async () => {
    const verifyOnly = createTokenService({ secrets: [], accessTokenSeconds: 60, clockToleranceSeconds: 0 })
    await expect(verifyOnly.signAccessToken({ userId: '1', role: 'user' })).rejects.toThrow(
      /JWT_SECRET is not set/,
    )
  })
})
