/** Access-token verification refuses every forgery and accepts only what our keys or the identity provider signed. */
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createTokenService, type TokenConfig } from '../../edge/auth/tokens'
import { parseConfig } from '../../edge/env'
import { startTestIdentityProvider, type TestIdentityProvider } from '../support/identity-provider'

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long'
const OLD_SECRET = 'the-previous-secret-also-at-least-32-bytes-long'
const base: TokenConfig = { secrets: [SECRET], accessTokenSeconds: 300, clockToleranceSeconds: 5 }
const identity = { userId: '42', role: 'user' as const }
// The shared provider (global setup) for tokens that are only verified. Rotating tests use a private one: rotating
// the shared one would invalidate a token that another test file (jwks.test.ts) is verifying at that moment.
const idp = inject('identityProviderUrl')
let privateProvider: TestIdentityProvider

beforeAll(async () => {
  privateProvider = await startTestIdentityProvider()
})
afterAll(async () => {
  await privateProvider?.close()
})

const now = () => Math.floor(Date.now() / 1000)

/** Signs with our secret and our key id, but lets a test choose any claim. */
async function signWithOurSecret(claims: Record<string, unknown>, secret = SECRET) {
  const service = createTokenService({ ...base, secrets: [secret] })
  const kid = JSON.parse(atob((await service.signAccessToken(identity)).split('.')[0] as string)).kid
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(secret))
}

describe('tokens signed with our shared secret', () => {
  const service = createTokenService(base)

  it('round-trips the identity of a token we signed', async () => {
    const token = await service.signAccessToken({ userId: '7', role: 'admin' })
    expect(await service.verifyAccessToken(token)).toEqual({ userId: '7', role: 'admin' })
  })

  it('refuses an unsigned token (alg: none)', async () => {
    const token = new UnsecuredJWT({ sub: '1', role: 'admin' }).setExpirationTime('5m').encode()
    await expect(service.verifyAccessToken(token)).rejects.toThrow(/algorithm not allowed/)
  })

  it('refuses a token signed with another secret under our key id', async () => {
    const token = await signWithOurSecret({ sub: '1', exp: now() + 60 })
    const forged = await new SignJWT({ sub: '1', exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256', kid: JSON.parse(atob(token.split('.')[0] as string)).kid })
      .sign(new TextEncoder().encode('an-attacker-secret-that-is-32-bytes-or-more'))
    await expect(service.verifyAccessToken(forged)).rejects.toThrow(/signature/)
  })

  it('refuses a token whose key id we do not know', async () => {
    const forged = await new SignJWT({ sub: '1', exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256', kid: 'nope' })
      .sign(new TextEncoder().encode(SECRET))
    await expect(service.verifyAccessToken(forged)).rejects.toThrow(/unknown key id/)
  })

  it('refuses a payload tampered after signing (role raised to admin)', async () => {
    const [header, , signature] = (await service.signAccessToken(identity)).split('.')
    const payload = btoa(JSON.stringify({ sub: '42', role: 'admin', exp: now() + 60 })).replace(/=+$/, '')
    await expect(service.verifyAccessToken(`${header}.${payload}.${signature}`)).rejects.toThrow(/signature/)
  })

  it('refuses an expired token, beyond the clock tolerance', async () => {
    const token = await signWithOurSecret({ sub: '1', exp: now() - 30 })
    await expect(service.verifyAccessToken(token)).rejects.toThrow(/exp/)
  })

  it('accepts a token that expired within the clock tolerance', async () => {
    const token = await signWithOurSecret({ sub: '1', exp: now() - 2 })
    expect(await service.verifyAccessToken(token)).toEqual({ userId: '1', role: 'user' })
  })

  it('refuses a token it accepted before, once it has expired (remembered tokens expire too)', async () => {
    const shortLived = createTokenService({ ...base, clockToleranceSeconds: 0 })
    const token = await signWithOurSecret({ sub: '9', role: 'user', exp: now() + 1 })
    expect(await shortLived.verifyAccessToken(token)).toEqual({ userId: '9', role: 'user' })
    expect(await shortLived.verifyAccessToken(token)).toEqual({ userId: '9', role: 'user' })
    await new Promise((resolve) => setTimeout(resolve, 2100))
    await expect(shortLived.verifyAccessToken(token)).rejects.toThrow(/exp/)
  })

  it('accepts a remembered token to its last millisecond and refuses it from the first one past expiry and leeway', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      // Built inside the test, so mutation testing's per-test coverage sees the cache's checks.
      const service = createTokenService({ ...base, clockToleranceSeconds: 5 })
      const exp = now() + 60
      const token = await signWithOurSecret({ sub: '9', role: 'user', exp })
      expect(await service.verifyAccessToken(token)).toEqual({ userId: '9', role: 'user' })
      vi.setSystemTime((exp + 5) * 1000 - 1)
      expect(await service.verifyAccessToken(token)).toEqual({ userId: '9', role: 'user' })
      vi.setSystemTime((exp + 5) * 1000)
      await expect(service.verifyAccessToken(token)).rejects.toThrow(/exp/)
    } finally {
      vi.useRealTimers()
    }
  })

  it('refuses a token that is not valid yet', async () => {
    const token = await signWithOurSecret({ sub: '1', exp: now() + 600, nbf: now() + 300 })
    await expect(service.verifyAccessToken(token)).rejects.toThrow(/nbf/)
  })

  it('refuses a token without an expiry', async () => {
    const token = await signWithOurSecret({ sub: '1' })
    // A service of its own, built inside the test, so mutation testing's per-test coverage sees the claim checks.
    await expect(createTokenService(base).verifyAccessToken(token)).rejects.toThrow(/missing required "exp"/)
  })

  it('refuses a wrong issuer or audience when they are configured', async () => {
    const strict = createTokenService({ ...base, issuer: 'https://edgeline.test', audience: 'edgeline-api' })
    const wrongIssuer = await signWithOurSecret({
      sub: '1',
      exp: now() + 60,
      iss: 'https://evil.test',
      aud: 'edgeline-api',
    })
    const wrongAudience = await signWithOurSecret({
      sub: '1',
      exp: now() + 60,
      iss: 'https://edgeline.test',
      aud: 'other',
    })
    await expect(strict.verifyAccessToken(wrongIssuer)).rejects.toThrow(/iss/)
    await expect(strict.verifyAccessToken(wrongAudience)).rejects.toThrow(/aud/)
    expect(await strict.verifyAccessToken(await strict.signAccessToken(identity))).toEqual(identity)
  })

  it('refuses text that is not a token at all', async () => {
    await expect(service.verifyAccessToken('not-a-jwt')).rejects.toThrow(/malformed/)
  })

  it('keeps accepting tokens of the previous secret while rotating, and refuses them once it is removed', async () => {
    const old = createTokenService({ ...base, secrets: [OLD_SECRET] })
    const token = await old.signAccessToken(identity)
    const rotating = createTokenService({ ...base, secrets: [SECRET, OLD_SECRET] })
    expect(await rotating.verifyAccessToken(token)).toEqual(identity)
    await expect(createTokenService(base).verifyAccessToken(token)).rejects.toThrow(/unknown key id/)
  })
})

describe('tokens from an external identity provider (remote JWKS)', () => {
  const config: TokenConfig = {
    ...base,
    jwksUrl: `${idp}/jwks.json`,
    jwksCooldownMs: 0,
    jwksCacheMaxAgeMs: 0,
  }

  async function idpToken(claims: Record<string, unknown>, provider = idp) {
    const response = await fetch(`${provider}/token`, { method: 'POST', body: JSON.stringify(claims) })
    return response.text()
  }

  it('accepts a token signed by the provider and reads its role', async () => {
    const service = createTokenService(config)
    expect(await service.verifyAccessToken(await idpToken({ sub: 'ext-1', role: 'admin' }))).toEqual({
      userId: 'ext-1',
      role: 'admin',
    })
  })

  it("never takes a session id from the provider's token, whose sid means something else", async () => {
    const service = createTokenService(config)
    const token = await idpToken({ sub: 'ext-sid', sid: 'their-session' })
    expect(await service.verifyAccessToken(token)).toStrictEqual({ userId: 'ext-sid', role: 'user' })
  })

  it('refuses an HS256 token signed with the provider key as the HMAC secret (algorithm confusion)', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true })
    const pem = await exportSPKI(publicKey)
    const forged = await new SignJWT({ sub: '1', role: 'admin', exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(pem))
    await expect(createTokenService(config).verifyAccessToken(forged)).rejects.toThrow(/unknown key id/)
  })

  it('follows a key rotation: new tokens accepted, tokens of the removed key refused', async () => {
    const service = createTokenService({ ...config, jwksUrl: `${privateProvider.url}/jwks.json` })
    const before = await idpToken({ sub: 'ext-2' }, privateProvider.url)
    expect(await service.verifyAccessToken(before)).toEqual({ userId: 'ext-2', role: 'user' })
    await fetch(`${privateProvider.url}/rotate`, { method: 'POST' })
    const after = await idpToken({ sub: 'ext-2' }, privateProvider.url)
    expect(await service.verifyAccessToken(after)).toEqual({ userId: 'ext-2', role: 'user' })
    await expect(service.verifyAccessToken(before)).rejects.toThrow()
  })

  it('refuses provider-style tokens when no JWKS is configured', async () => {
    await expect(createTokenService(base).verifyAccessToken(await idpToken({ sub: 'x' }))).rejects.toThrow(
      /algorithm not allowed/,
    )
  })
})

describe('tokens from an external identity provider, with the key cache production uses', () => {
  const MINUTE = 60_000
  const providers: TestIdentityProvider[] = []

  /** A provider of this test's own (it rotates), and a token service configured as production configures one. */
  async function productionSetup() {
    const provider = await startTestIdentityProvider()
    providers.push(provider)
    // No cache settings of ours: parseConfig leaves jose's (keys trusted 10 minutes, refetch at most every 30 s).
    const { auth } = parseConfig({ JWKS_URL: `${provider.url}/jwks.json` })
    const service = createTokenService(auth)
    // Signed by the provider in this process, so under the same (faked) clock; valid long past the test's jumps.
    const sign = async (sub: string) => {
      const exp = Math.floor(Date.now() / 1000) + 3600
      const response = await fetch(`${provider.url}/token`, {
        method: 'POST',
        body: JSON.stringify({ sub, exp }),
      })
      return response.text()
    }
    const rotate = () => fetch(`${provider.url}/rotate`, { method: 'POST' })
    return { provider, service, sign, rotate }
  }

  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(providers.splice(0).map((provider) => provider.close()))
  })

  it('caches the key set, fetches a new key id at most 30 s after the last fetch, and then refuses the removed key', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { provider, service, sign, rotate } = await productionSetup()
    const before = await sign('ext-cached')
    expect(await service.verifyAccessToken(before)).toEqual({ userId: 'ext-cached', role: 'user' })
    expect(await service.verifyAccessToken(before)).toEqual({ userId: 'ext-cached', role: 'user' })
    expect(provider.keySetFetches()).toBe(1)

    await rotate()
    const after = await sign('ext-cached')
    vi.advanceTimersByTime(29_000)
    // Within the cooldown a token naming an unknown key id cannot make us fetch again (no fetch storm).
    await expect(service.verifyAccessToken(after)).rejects.toThrow(/no applicable key/)
    expect(provider.keySetFetches()).toBe(1)
    // The cached set still holds the removed key: its tokens pass until the set is fetched again.
    expect(await service.verifyAccessToken(before)).toEqual({ userId: 'ext-cached', role: 'user' })

    vi.advanceTimersByTime(2_000)
    expect(await service.verifyAccessToken(after)).toEqual({ userId: 'ext-cached', role: 'user' })
    expect(provider.keySetFetches()).toBe(2)
    await expect(service.verifyAccessToken(before)).rejects.toThrow(/no applicable key/)
    expect(provider.keySetFetches()).toBe(2)
  })

  it('refuses a removed key once the cached key set is 10 minutes old, even if no token names a new key id', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { provider, service, sign, rotate } = await productionSetup()
    const before = await sign('ext-stale')
    expect(await service.verifyAccessToken(before)).toEqual({ userId: 'ext-stale', role: 'user' })
    await rotate()

    vi.advanceTimersByTime(10 * MINUTE - 1_000)
    expect(await service.verifyAccessToken(before)).toEqual({ userId: 'ext-stale', role: 'user' })
    expect(provider.keySetFetches()).toBe(1)

    vi.advanceTimersByTime(2_000)
    await expect(service.verifyAccessToken(before)).rejects.toThrow(/no applicable key/)
    expect(provider.keySetFetches()).toBe(2)
  })
})
