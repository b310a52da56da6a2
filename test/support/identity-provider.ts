/** A stand-in external identity provider for tests: serves a JWKS, signs tokens with its current key, rotates it. */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

export interface TestIdentityProvider {
  /** Base URL: `GET /jwks.json`, `POST /token` (JSON claims → compact JWT), `POST /rotate` (old key removed). */
  url: string
  /** How many times its key set has been fetched: shows when a verifier used its cache and when it refetched. */
  keySetFetches(): number
  close(): Promise<void>
}

/** The signing algorithms an identity provider may use that the app accepts (edge/auth/tokens.ts). */
export type ProviderAlgorithm = 'ES256' | 'RS256' | 'EdDSA'

export async function startTestIdentityProvider(
  options: { algorithm?: ProviderAlgorithm } = {},
): Promise<TestIdentityProvider> {
  const algorithm = options.algorithm ?? 'ES256'
  let generation = 0
  let keySetFetches = 0
  let current = await newKey()

  async function newKey() {
    generation += 1
    const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true })
    return { kid: `idp-key-${generation}`, publicKey, privateKey }
  }

  const server = createServer(async (req, res) => {
    const body = await new Promise<string>((resolve) => {
      let text = ''
      req.on('data', (chunk) => {
        text += chunk
      })
      req.on('end', () => resolve(text))
    })
    if (req.method === 'GET' && req.url === '/jwks.json') {
      keySetFetches += 1
      const jwk = await exportJWK(current.publicKey)
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ keys: [{ ...jwk, kid: current.kid, alg: algorithm, use: 'sig' }] }))
    }
    if (req.method === 'POST' && req.url === '/token') {
      const { exp, ...claims } = JSON.parse(body || '{}') as Record<string, unknown> & { exp?: number }
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: algorithm, kid: current.kid })
        .setIssuedAt()
        .setExpirationTime(exp ?? '5m')
        .sign(current.privateKey)
      res.writeHead(200, { 'content-type': 'text/plain' })
      return res.end(token)
    }
    if (req.method === 'POST' && req.url === '/rotate') {
      current = await newKey()
      res.writeHead(204)
      return res.end()
    }
    res.writeHead(404)
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    keySetFetches: () => keySetFetches,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
