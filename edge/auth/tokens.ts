/** Signs access tokens (JWT) with jose under the current HS256 secret; verifying is edge/auth/token-verifier.ts. */
import { SignJWT } from 'jose'
import {
  createTokenVerifier,
  type Identity,
  importSecretKeys,
  SHARED_SECRET_ALGORITHM,
  type TokenConfig,
  type TokenVerifier,
} from './token-verifier'

export { type Identity, InvalidTokenError, type Role, type TokenConfig } from './token-verifier'

export interface TokenService extends TokenVerifier {
  signAccessToken(identity: Identity): Promise<string>
}

export function createTokenService(config: TokenConfig): TokenService {
  const keys = importSecretKeys(config.secrets)
  return {
    async signAccessToken(identity) {
      const current = (await keys)[0]
      if (!current) throw new Error('JWT_SECRET is not set: this app cannot sign tokens')
      const jwt = new SignJWT({
        role: identity.role,
        ...(identity.sessionId ? { sid: identity.sessionId } : {}),
      })
        .setProtectedHeader({ alg: SHARED_SECRET_ALGORITHM, kid: current.kid, typ: 'JWT' })
        .setSubject(identity.userId)
        .setIssuedAt()
        .setExpirationTime(`${config.accessTokenSeconds}s`)
      if (config.issuer) jwt.setIssuer(config.issuer)
      if (config.audience) jwt.setAudience(config.audience)
      return jwt.sign(current.key)
    },

    ...createTokenVerifier(config, keys),
  }
}
