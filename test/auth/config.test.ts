/** Auth configuration: works with no variables locally, and refuses to start anywhere else without a real key. */
import { describe, expect, it } from 'vitest'
import { DEVELOPMENT_JWT_SECRET, parseConfig } from '../../edge/env'

const SECRET = 'a-production-secret-of-at-least-32-bytes!'
const OLD = 'the-previous-production-secret-32-bytes+'
const NEON = 'postgresql://app:pw@ep-cool-name.eu-central-1.aws.neon.tech/app?sslmode=require'

describe('auth configuration', () => {
  it('uses the development secret only when nothing is configured and the database is local', () => {
    expect(parseConfig({}).auth).toMatchObject({
      secrets: [DEVELOPMENT_JWT_SECRET],
      usesDevelopmentSecret: true,
    })
    expect(
      parseConfig({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/app' }).auth.usesDevelopmentSecret,
    ).toBe(true)
    expect(parseConfig({ JWT_SECRET: SECRET }).auth).toMatchObject({
      secrets: [SECRET],
      usesDevelopmentSecret: false,
    })
  })

  it('refuses to start with a remote database, or on Vercel, without JWT_SECRET or JWKS_URL', () => {
    expect(() => parseConfig({ DATABASE_URL: NEON })).toThrow(/JWT_SECRET or JWKS_URL is required/)
    expect(() => parseConfig({ VERCEL: '1', DATABASE_URL: NEON })).toThrow(
      /JWT_SECRET or JWKS_URL is required/,
    )
    expect(parseConfig({ DATABASE_URL: NEON, JWT_SECRET: SECRET }).auth.secrets).toEqual([SECRET])
  })

  it('refuses the development secret in production even on the embedded database (npm start, next start)', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET or JWKS_URL is required/)
    expect(() => parseConfig({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(
      /published local development secret/,
    )
    const secret = 'a-production-secret-of-at-least-32-bytes!'
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: secret }).auth).toMatchObject({
      secrets: [secret],
      usesDevelopmentSecret: false,
    })
  })

  it('refuses the published development secret outside local development', () => {
    expect(() => parseConfig({ DATABASE_URL: NEON, JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(
      /JWT_SECRET is the published local development secret/,
    )
  })

  it('refuses secrets shorter than 32 bytes, current or previous', () => {
    expect(() => parseConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET must be at least 32 bytes/)
    expect(() => parseConfig({ JWT_SECRET: SECRET, JWT_PREVIOUS_SECRETS: `${OLD},tiny` })).toThrow(
      /JWT_PREVIOUS_SECRETS/,
    )
  })

  it('verifies with the previous secrets after the current one, and needs a current one', () => {
    expect(parseConfig({ JWT_SECRET: SECRET, JWT_PREVIOUS_SECRETS: ` ${OLD} ` }).auth.secrets).toEqual([
      SECRET,
      OLD,
    ])
    expect(() => parseConfig({ JWT_PREVIOUS_SECRETS: OLD })).toThrow(/JWT_PREVIOUS_SECRETS needs JWT_SECRET/)
  })

  it('accepts a JWKS_URL alone in production, which disables signing (no built-in accounts)', () => {
    const { auth } = parseConfig({
      DATABASE_URL: NEON,
      JWKS_URL: 'https://idp.example.test/.well-known/jwks.json',
    })
    expect(auth).toMatchObject({ secrets: [], jwksUrl: 'https://idp.example.test/.well-known/jwks.json' })
  })

  it('requires https for JWKS_URL, except on this machine', () => {
    expect(() => parseConfig({ JWKS_URL: 'http://idp.example.test/jwks.json' })).toThrow(
      /JWKS_URL must be an https/,
    )
    expect(parseConfig({ JWKS_URL: 'http://127.0.0.1:9999/jwks.json' }).auth.jwksUrl).toMatch(/^http:/)
  })

  it('reads issuer, audience, lifetimes and clock tolerance, within bounds', () => {
    const { auth } = parseConfig({
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'https://edgeline.example.test',
      JWT_AUDIENCE: 'edgeline',
      ACCESS_TOKEN_TTL_SECONDS: '300',
      REFRESH_TOKEN_TTL_SECONDS: '86400',
      JWT_CLOCK_TOLERANCE_SECONDS: '0',
    })
    expect(auth).toMatchObject({
      issuer: 'https://edgeline.example.test',
      audience: 'edgeline',
      accessTokenSeconds: 300,
      refreshTokenSeconds: 86400,
      clockToleranceSeconds: 0,
    })
    expect(() => parseConfig({ ACCESS_TOKEN_TTL_SECONDS: '10' })).toThrow(
      /ACCESS_TOKEN_TTL_SECONDS must be at least 60/,
    )
    expect(() => parseConfig({ JWT_CLOCK_TOLERANCE_SECONDS: 'soon' })).toThrow(/JWT_CLOCK_TOLERANCE_SECONDS/)
  })
})
