import { describe, expect, it } from 'vitest'
import { DEFAULT_SQL_GATEWAY_ENDPOINT, EMBEDDED_DATABASE_URL } from '../../db/database-url'
import {
  DEFAULT_ACCESS_TOKEN_SECONDS,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_LOGIN_THROTTLE,
  DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
  DEFAULT_REFRESH_TOKEN_SECONDS,
  DEVELOPMENT_JWT_SECRET,
  LOOPBACK_HOSTS,
  parseConfig,
} from '../../edge/env'

const SECRET = 'a-production-secret-of-at-least-32-bytes!'

describe('configuration from the environment', () => {
  it('needs no variable for local use: embedded database, default endpoint, no CORS, the development secret', () => {
    expect(parseConfig({})).toEqual({
      databaseUrl: EMBEDDED_DATABASE_URL,
      sqlGatewayEndpoint: DEFAULT_SQL_GATEWAY_ENDPOINT,
      databaseTimeoutMs: 10_000,
      replicaUrls: [],
      replicaMaxLagMs: 5000,
      corsOrigins: [],
      auth: {
        secrets: [DEVELOPMENT_JWT_SECRET],
        accessTokenSeconds: DEFAULT_ACCESS_TOKEN_SECONDS,
        refreshTokenSeconds: DEFAULT_REFRESH_TOKEN_SECONDS,
        refreshReuseGraceSeconds: DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
        clockToleranceSeconds: DEFAULT_CLOCK_TOLERANCE_SECONDS,
        usesDevelopmentSecret: true,
        loginThrottle: DEFAULT_LOGIN_THROTTLE,
      },
      mail: { appOrigin: undefined, delivery: undefined, cronSecret: undefined },
    })
  })

  it('reads account email settings: APP_ORIGIN, and EMAIL_PROVIDER, EMAIL_API_KEY and EMAIL_FROM together', () => {
    const email = {
      EMAIL_PROVIDER: 'postmark',
      EMAIL_API_KEY: 'key',
      EMAIL_FROM: 'Edgeline <no-reply@example.com>',
    }
    expect(parseConfig({ APP_ORIGIN: 'https://app.example.com/', ...email }).mail).toEqual({
      appOrigin: 'https://app.example.com',
      delivery: {
        provider: 'postmark',
        apiKey: 'key',
        from: 'Edgeline <no-reply@example.com>',
        apiUrl: undefined,
      },
      cronSecret: undefined,
    })
    expect(() => parseConfig({ APP_ORIGIN: 'https://app.example.com/reset' })).toThrow(
      /APP_ORIGIN must be the origin/,
    )
    expect(() => parseConfig({ EMAIL_PROVIDER: 'smtp' })).toThrow(
      /EMAIL_PROVIDER must be one of resend, postmark/,
    )
    expect(() => parseConfig({ EMAIL_PROVIDER: 'resend' })).toThrow(/must be set together/)
    expect(() => parseConfig({ CRON_SECRET: 'short' })).toThrow(/CRON_SECRET must be at least 16 bytes/)
  })

  it('requires APP_ORIGIN in production when email is configured, since a link from the Host header could point anywhere', () => {
    const email = { EMAIL_PROVIDER: 'resend', EMAIL_API_KEY: 'key', EMAIL_FROM: 'no-reply@example.com' }
    const production = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-bytes!' }
    expect(() => parseConfig({ ...production, ...email })).toThrow(/APP_ORIGIN is required in production/)
    expect(
      parseConfig({ ...production, ...email, APP_ORIGIN: 'https://app.example.com' }).mail.appOrigin,
    ).toBe('https://app.example.com')
    // Without email nothing leaves the outbox: links there may use the request's origin.
    expect(parseConfig(production).mail.appOrigin).toBeUndefined()
  })

  it('defaults to the values the README states, written out here so that changing a constant fails', () => {
    const { auth, databaseTimeoutMs } = parseConfig({})
    expect(databaseTimeoutMs).toBe(10_000)
    expect(auth).toMatchObject({
      accessTokenSeconds: 900,
      refreshTokenSeconds: 2_592_000,
      refreshReuseGraceSeconds: 30,
      clockToleranceSeconds: 5,
      loginThrottle: { maxFailuresPerEmail: 5, maxFailuresPerClient: 20, windowSeconds: 900 },
    })
  })

  it('reads the database deadline from DATABASE_TIMEOUT_MS, in whole milliseconds from 100 to 120000', () => {
    expect(parseConfig({ DATABASE_TIMEOUT_MS: '2500' }).databaseTimeoutMs).toBe(2500)
    expect(() => parseConfig({ DATABASE_TIMEOUT_MS: '50' })).toThrow(
      /DATABASE_TIMEOUT_MS must be at least 100/,
    )
    expect(() => parseConfig({ DATABASE_TIMEOUT_MS: '1.5' })).toThrow(/whole number of milliseconds/)
  })

  it('refuses, on Vercel, a Postgres that is not Neon unless a SQL-over-HTTP gateway is named for it', () => {
    const rds = 'postgresql://app@db.abc123.eu-west-1.rds.amazonaws.com:5432/app?sslmode=require'
    expect(() => parseConfig({ VERCEL: '1', DATABASE_URL: rds, JWT_SECRET: SECRET })).toThrow(
      /SQL_GATEWAY_ENDPOINT is required on Vercel when DATABASE_URL is not a Neon host/,
    )
    const neon = 'postgresql://app:pw@ep-quiet-sun-123456.eu-central-1.aws.neon.tech/app?sslmode=require'
    expect(parseConfig({ VERCEL: '1', DATABASE_URL: neon, JWT_SECRET: SECRET }).databaseUrl).toBe(neon)
    expect(
      parseConfig({
        VERCEL: '1',
        DATABASE_URL: rds,
        SQL_GATEWAY_ENDPOINT: 'https://sql-gateway.example.com/sql',
        JWT_SECRET: SECRET,
      }).sqlGatewayEndpoint,
    ).toBe('https://sql-gateway.example.com/sql')
  })

  it('limits a development server to loopback host names plus DEV_ALLOWED_HOSTS, and nothing else to any', () => {
    expect(
      parseConfig({ NODE_ENV: 'development', DEV_ALLOWED_HOSTS: 'Dev.Example.test, *.lan' }).allowedHosts,
    ).toEqual([...LOOPBACK_HOSTS, 'dev.example.test', '*.lan'])
    expect(parseConfig({ NODE_ENV: 'test' }).allowedHosts).toBeUndefined()
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).allowedHosts).toBeUndefined()
  })

  it('treats empty variables as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', CORS_ORIGINS: '' }).databaseUrl).toBe(EMBEDDED_DATABASE_URL)
  })

  it('reads the database URL, endpoint and a comma-separated origin list', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgresql://app:secret@ep-cool-name.eu-central-1.aws.neon.tech/app?sslmode=require',
      JWT_SECRET: SECRET,
      SQL_GATEWAY_ENDPOINT: 'http://127.0.0.1:5555/sql',
      CORS_ORIGINS: 'https://app.example.test, http://localhost:3000/',
    })
    expect(config.databaseUrl).toMatch(/neon\.tech/)
    expect(config.sqlGatewayEndpoint).toBe('http://127.0.0.1:5555/sql')
    expect(config.corsOrigins).toEqual(['https://app.example.test', 'http://localhost:3000'])
  })

  it('fails fast naming DATABASE_URL when it is not a postgres URL', () => {
    expect(() => parseConfig({ DATABASE_URL: 'mysql://nope' })).toThrow(/DATABASE_URL must be a postgres/)
  })

  it('fails fast naming CORS_ORIGINS when an entry is not an origin', () => {
    expect(() => parseConfig({ CORS_ORIGINS: 'https://ok.test,https://bad.test/path' })).toThrow(
      /CORS_ORIGINS/,
    )
  })

  it('fails fast naming SQL_GATEWAY_ENDPOINT when it is not an http URL', () => {
    expect(() => parseConfig({ SQL_GATEWAY_ENDPOINT: 'localhost:4444' })).toThrow(/SQL_GATEWAY_ENDPOINT/)
  })

  it('stops a deployment still setting LOCAL_SQL_ENDPOINT, naming its new name SQL_GATEWAY_ENDPOINT', () => {
    expect(() => parseConfig({ LOCAL_SQL_ENDPOINT: 'http://127.0.0.1:4444/sql' })).toThrow(
      /LOCAL_SQL_ENDPOINT was renamed SQL_GATEWAY_ENDPOINT/,
    )
    expect(parseConfig({ LOCAL_SQL_ENDPOINT: '' }).sqlGatewayEndpoint).toBe(DEFAULT_SQL_GATEWAY_ENDPOINT)
  })

  it('requires a non-local DATABASE_URL on Vercel', () => {
    expect(() => parseConfig({ VERCEL: '1' })).toThrow(/DATABASE_URL is required on Vercel/)
    expect(() => parseConfig({ VERCEL: '1', DATABASE_URL: 'postgresql://u@127.0.0.1/db' })).toThrow(
      /DATABASE_URL names a local/,
    )
    expect(
      parseConfig({ VERCEL: '1', DATABASE_URL: 'postgresql://u:p@ep-x.neon.tech/db', JWT_SECRET: SECRET })
        .databaseUrl,
    ).toMatch(/neon/)
  })

  it('names every bad variable at once', () => {
    expect(() => parseConfig({ DATABASE_URL: 'x', CORS_ORIGINS: 'y' })).toThrow(
      /DATABASE_URL[\s\S]*CORS_ORIGINS/,
    )
  })
})
