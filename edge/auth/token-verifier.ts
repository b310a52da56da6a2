/**
 * Verifies access tokens (JWT) with jose: our HS256 secrets with rotation, and/or a remote JWKS. Apart from the
 * signing (edge/auth/tokens.ts), so that the middleware, which only verifies, carries no signing code.
 */
import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose'
import { toBase64Url } from './base64url'

export type Role = 'admin' | 'user'

/** Who a verified token says the caller is. */
export interface Identity {
  userId: string
  role: Role
  /**
   * The refresh-token family (the session) our access token was issued with, as its `sid` claim: log-out can end
   * the session from the access token alone (a browser's refresh cookie is scoped to /api/auth). Never set from
   * an external identity provider's token, whose `sid` means something else.
   */
  sessionId?: string
}

export interface TokenConfig {
  /** HS256 secrets, current first: the first signs, all verify (so tokens survive a rotation). May be empty. */
  secrets: string[]
  /** An external identity provider's key set (RS256, ES256, EdDSA). */
  jwksUrl?: string
  issuer?: string
  audience?: string
  /** Lifetime of the access tokens this app signs. */
  accessTokenSeconds: number
  /** Leeway for `exp`/`nbf` between clocks. */
  clockToleranceSeconds: number
  /** How long fetched JWKS keys are trusted, and the least time between two fetches (jose's defaults: 10 min, 30 s). */
  jwksCacheMaxAgeMs?: number
  jwksCooldownMs?: number
}

/** Any reason a token is refused; the message is for logs, never for the client. */
export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'InvalidTokenError'
  }
}

export const SHARED_SECRET_ALGORITHM = 'HS256'
const PUBLIC_KEY_ALGORITHMS = ['RS256', 'ES256', 'EdDSA']

export interface TokenVerifier {
  verifyAccessToken(token: string): Promise<Identity>
}

/** Enough for the clients one isolate serves at once; each entry is a few hundred bytes. */
const MAX_REMEMBERED_TOKENS = 1000

/**
 * Each secret's key id is derived from the secret itself, so rotating needs no extra naming. Imported once as a
 * CryptoKey: given raw bytes, jose would import the key again on every request (measured: the largest crypto cost
 * of an authenticated request on Node).
 */
export function importSecretKeys(secrets: string[]): Promise<SecretKey[]> {
  const encoder = new TextEncoder()
  return Promise.all(
    secrets.map(async (secret) => ({
      kid: await keyIdOf(secret),
      key: await crypto.subtle.importKey(
        'raw',
        encoder.encode(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign', 'verify'],
      ),
    })),
  )
}

export interface SecretKey {
  kid: string
  key: CryptoKey
}

export function createTokenVerifier(
  config: TokenConfig,
  keys = importSecretKeys(config.secrets),
): TokenVerifier {
  // jose caches the key set and refetches it when a token names a key id it has not seen (a rotation).
  const remoteKeys = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), {
        cacheMaxAge: config.jwksCacheMaxAgeMs,
        cooldownDuration: config.jwksCooldownMs,
      })
    : undefined
  /**
   * Our own tokens already verified here, until they expire (with the same tolerance), so a client's many requests
   * with one token pay for the signature check once. Only ours (HS256): our secrets cannot change without a
   * restart, while an identity provider may withdraw a key, after which its tokens must be refused at once.
   * The key is the whole token, signature included: only the exact string that was verified is remembered.
   */
  const verifiedTokens = new Map<string, { identity: Identity; validUntilMs: number }>()
  const rememberVerified = (token: string, identity: Identity, expiresAt: number) => {
    // Oldest first out: a Map iterates in insertion order.
    if (verifiedTokens.size >= MAX_REMEMBERED_TOKENS)
      verifiedTokens.delete(verifiedTokens.keys().next().value as string)
    verifiedTokens.set(token, {
      identity: Object.freeze(identity),
      validUntilMs: (expiresAt + config.clockToleranceSeconds) * 1000,
    })
  }
  const claimChecks = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockToleranceSeconds,
    requiredClaims: ['exp', 'sub'],
  }

  return {
    async verifyAccessToken(token) {
      const remembered = verifiedTokens.get(token)
      if (remembered) {
        if (Date.now() < remembered.validUntilMs) return remembered.identity
        verifiedTokens.delete(token)
      }
      let header: ReturnType<typeof decodeProtectedHeader>
      try {
        header = decodeProtectedHeader(token)
      } catch {
        throw new InvalidTokenError('malformed token')
      }
      let payload: JWTPayload
      const ours = header.alg === SHARED_SECRET_ALGORITHM
      try {
        if (ours) {
          // Only our own secrets verify HS256: a public key used as an HMAC secret (alg confusion) never matches.
          const match = (await keys).find((entry) => entry.kid === header.kid)
          if (!match) throw new InvalidTokenError('unknown key id')
          ;({ payload } = await jwtVerify(token, match.key, {
            ...claimChecks,
            algorithms: [SHARED_SECRET_ALGORITHM],
          }))
        } else if (remoteKeys && header.alg && PUBLIC_KEY_ALGORITHMS.includes(header.alg)) {
          ;({ payload } = await jwtVerify(token, remoteKeys, {
            ...claimChecks,
            algorithms: PUBLIC_KEY_ALGORITHMS,
          }))
        } else {
          throw new InvalidTokenError(`algorithm not allowed: ${header.alg}`)
        }
      } catch (error) {
        if (error instanceof InvalidTokenError) throw error
        throw new InvalidTokenError((error as Error).message)
      }
      const identity = identityOf(payload, ours)
      if (ours && typeof payload.exp === 'number') rememberVerified(token, identity, payload.exp)
      return identity
    },
  }
}

function identityOf(payload: JWTPayload, ours: boolean): Identity {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new InvalidTokenError('no subject')
  const identity: Identity = { userId: payload.sub, role: payload.role === 'admin' ? 'admin' : 'user' }
  if (ours && typeof payload.sid === 'string') identity.sessionId = payload.sid
  return identity
}

/** A short, stable, non-secret name for a secret: the start of its SHA-256. */
async function keyIdOf(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret))
  return toBase64Url(new Uint8Array(digest)).slice(0, 12)
}
