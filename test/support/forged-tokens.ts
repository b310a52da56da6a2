/**
 * The forged and stale tokens that must be refused wherever a token is read: by the Hono app (test/auth/forgeries),
 * by middleware.ts (test/auth/middleware-forgeries) and by the built app (test/e2e/built-app). One list, so a
 * forgery added for one layer is tried against all of them.
 */
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose'
import { createTokenService } from '../../edge/auth/tokens'

/** What the verifier under test trusts: its secret, and the issuer and audience it requires, if any. */
export interface VerifierSettings {
  secret: string
  issuer?: string
  audience?: string
}

/** A forgery's name (a sentence fragment: "refuses <name>") and how to make one. */
export type Forgery = readonly [name: string, forge: () => Promise<string>]

const now = () => Math.floor(Date.now() / 1000)

/**
 * Every forgery that applies to `settings`: the issuer and audience forgeries only when the verifier requires an
 * issuer and an audience (without them, a token is not forged by naming another).
 */
export function forgedTokens(settings: VerifierSettings): Forgery[] {
  const { secret, issuer, audience } = settings
  const secretKey = new TextEncoder().encode(secret)
  const genuine = createTokenService({
    secrets: [secret],
    ...(issuer ? { issuer } : {}),
    ...(audience ? { audience } : {}),
    accessTokenSeconds: 300,
    clockToleranceSeconds: 5,
  })
  const required = { ...(issuer ? { iss: issuer } : {}), ...(audience ? { aud: audience } : {}) }

  /** Our key id for the secret, read from a genuine token (the id is derived from the secret). */
  async function ourKeyId(): Promise<string> {
    const token = await genuine.signAccessToken({ userId: '1', role: 'user' })
    return JSON.parse(atob(token.split('.')[0] ?? '')).kid
  }

  /** A token with our key id, signed with `key` (our secret unless a test says otherwise), claims of its choosing. */
  async function signed(claims: Record<string, unknown>, key: Uint8Array = secretKey) {
    return new SignJWT({ ...required, sub: '1', role: 'admin', ...claims })
      .setProtectedHeader({ alg: 'HS256', kid: await ourKeyId() })
      .sign(key)
  }

  const forgeries: Forgery[] = [
    [
      'alg: none',
      async () => new UnsecuredJWT({ ...required, sub: '1', role: 'admin' }).setExpirationTime('5m').encode(),
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
      () =>
        signed({ exp: now() + 300 }, new TextEncoder().encode('an-attacker-secret-that-is-also-32-bytes')),
    ],
    [
      'HS256 signed with an RSA public key as the secret',
      async () => {
        const { publicKey } = await generateKeyPair('RS256', { extractable: true })
        const pem = await exportSPKI(publicKey)
        return new SignJWT({ ...required, sub: '1', role: 'admin', exp: now() + 300 })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(pem))
      },
    ],
    [
      'RS256 signed with a key of its own (no JWKS configured)',
      async () => {
        const { privateKey } = await generateKeyPair('RS256')
        return new SignJWT({ ...required, sub: '1', role: 'admin', exp: now() + 300 })
          .setProtectedHeader({ alg: 'RS256', kid: 'attacker' })
          .sign(privateKey)
      },
    ],
    ['an expired token', () => signed({ exp: now() - 60 })],
    ['a token that is not valid yet', () => signed({ exp: now() + 900, nbf: now() + 300 })],
    ['a token without an expiry', () => signed({})],
    ...(issuer && audience
      ? ([
          ['a wrong issuer', () => signed({ exp: now() + 300, iss: 'https://evil.test' })],
          ['a wrong audience', () => signed({ exp: now() + 300, aud: 'another-api' })],
          ['no issuer or audience', () => signed({ exp: now() + 300, iss: undefined, aud: undefined })],
        ] satisfies Forgery[])
      : []),
    [
      'a payload tampered after signing (role raised to admin)',
      async () => {
        const [header, , signature] = (await genuine.signAccessToken({ userId: '1', role: 'user' })).split(
          '.',
        )
        const payload = btoa(JSON.stringify({ ...required, sub: '1', role: 'admin', exp: now() + 300 }))
          .replace(/=+$/, '')
          .replaceAll('+', '-')
          .replaceAll('/', '_')
        return `${header}.${payload}.${signature}`
      },
    ],
    [
      'an unknown key id',
      () =>
        new SignJWT({ ...required, sub: '1', exp: now() + 300 })
          .setProtectedHeader({ alg: 'HS256', kid: 'rotated-out' })
          .sign(secretKey),
    ],
    [
      'a token signed with a previous secret that is no longer configured',
      () =>
        createTokenService({
          secrets: ['a-retired-secret-of-at-least-32-bytes-long'],
          ...(issuer ? { issuer } : {}),
          ...(audience ? { audience } : {}),
          accessTokenSeconds: 300,
          clockToleranceSeconds: 5,
        }).signAccessToken({ userId: '1', role: 'admin' }),
    ],
    ['text that is not a JWT', async () => 'not.a.jwt'],
    ['an empty token', async () => ''],
  ]
  return forgeries
}

/** The forgeries named, in that order; fails loudly if a name is not in the list (renamed, or a typo). */
export function someForgedTokens(settings: VerifierSettings, names: readonly string[]): Forgery[] {
  const all = new Map(forgedTokens(settings).map((forgery) => [forgery[0], forgery]))
  return names.map((name) => {
    const forgery = all.get(name)
    if (!forgery) throw new Error(`no forgery named "${name}" in test/support/forged-tokens.ts`)
    return forgery
  })
}
