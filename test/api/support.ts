/** Shared helpers for the API tests: an app wired to the run's gateway, unique data, request shorthands. */
import { expect, inject } from 'vitest'
import { createDatabase, type Database } from '../../db/client'
import { DEFAULT_DATABASE_TIMEOUT_MS } from '../../db/database-url'
import { upsertAccount } from '../../db/queries/accounts'
import type { Role } from '../../db/schema'
import { createApp } from '../../edge/app'
import { hashPassword } from '../../edge/auth/password'
import { createTokenService, type Identity } from '../../edge/auth/tokens'
import { type AppConfig, type AuthConfig, parseConfig } from '../../edge/env'
import type { AccessLogEntry } from '../../edge/middleware/access-log'
import { checkAnswersAgainstDocument } from '../support/checked-app'
import { answerFromWorkerd } from '../workerd/remote-app'

/** The HS256 secret of every test app (what JWT_SECRET would hold). */
export const TEST_JWT_SECRET = 'edgeline-test-secret-at-least-thirty-two-bytes'

/** Auth settings as `edge/env.ts` derives them from JWT_SECRET alone, plus any override. */
export function testAuthConfig(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return { ...parseConfig({ JWT_SECRET: TEST_JWT_SECRET }).auth, ...overrides }
}

/** The configuration every test app starts from: the database and endpoint that global setup prepared. */
export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    databaseUrl: inject('databaseUrl'),
    sqlGatewayEndpoint: inject('sqlEndpoint'),
    databaseTimeoutMs: DEFAULT_DATABASE_TIMEOUT_MS,
    corsOrigins: [],
    allowedHosts: undefined,
    auth: testAuthConfig(),
    ...overrides,
  }
}

/** A database client for the run's database, for tests that prepare rows directly. */
export function testDatabase(): Database {
  const config = testConfig()
  return createDatabase({ databaseUrl: config.databaseUrl, sqlGatewayEndpoint: config.sqlGatewayEndpoint })
}

/** An access token signed with the test secret, exactly as the app signs one after a log-in. */
export function signTestToken(identity: Identity, auth: AuthConfig = testAuthConfig()): Promise<string> {
  return createTokenService(auth).signAccessToken(identity)
}

/** Anything that answers requests the way `app.request` does. */
export interface Client {
  request(path: string, init?: RequestInit): Promise<Response>
}

/** A client that sends `Authorization: Bearer <token>` (unless a request sets its own Authorization). */
export function withToken(app: AppLike | Client, token: string | (() => Promise<string>)): Client {
  let pending: Promise<string> | undefined
  const tokenOf = () => {
    pending ??= typeof token === 'string' ? Promise.resolve(token) : token()
    return pending
  }
  return {
    async request(path, init = {}) {
      const headers = new Headers(init.headers)
      if (!headers.has('authorization')) headers.set('Authorization', `Bearer ${await tokenOf()}`)
      return app.request(path, { ...init, headers })
    },
  }
}

export interface Account {
  user: UserBody
  password: string
  accessToken: string
  refreshToken: string
  /** The app, signed in as this account with the Bearer access token. */
  client: Client
}

/** Creates an account with a password and a role directly in the database, then logs in through the API. */
export async function createAccount(
  app: AppLike,
  role: Role = 'user',
  label: string = role,
): Promise<Account> {
  const password = `pw-${crypto.randomUUID()}`
  const email = uniqueEmail(label)
  await upsertAccount(testDatabase(), {
    name: `${label} account`,
    email,
    passwordHash: await hashPassword(password),
    role,
  })
  const response = await app.request('/api/auth/login', jsonInit('POST', { email, password }))
  if (response.status !== 200)
    throw new Error(`POST /api/auth/login answered ${response.status}: ${await response.text()}`)
  const session = (await response.json()) as SessionBody
  return {
    user: session.user,
    password,
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
    client: withToken(app, session.accessToken),
  }
}

/** The app signed in as a new admin (logged in on first use), for tests about something other than roles. */
export function asNewAdmin(app: AppLike): Client {
  return withToken(app, async () => (await createAccount(app, 'admin')).accessToken)
}

/** Which runtime answers the app's requests: the edge VM in-process, or workerd (`npm run test:workerd`). */
export const answeringRuntime: 'edge-vm' | 'workerd' = inject('workerdUrl') ? 'workerd' : 'edge-vm'

/**
 * A fresh app whose access log is captured instead of printed. Under `npm run test:workerd` its answers come from
 * the same app inside workerd (test/workerd/remote-app.ts).
 */
export function createTestApp(options: { config?: Partial<AppConfig>; db?: Database } = {}) {
  const logs: AccessLogEntry[] = []
  const config = testConfig(options.config)
  const app = createApp(config, {
    log: (entry) => logs.push(entry),
    ...(options.db ? { db: options.db } : {}),
  })
  if (answeringRuntime === 'workerd') {
    // A database stand-in is an object of this process: it cannot cross into workerd.
    if (options.db) throw new Error('createTestApp({ db }) cannot answer from workerd')
    answerFromWorkerd(app, config, inject('workerdUrl'), logs)
  }
  // Every /api/* answer a test receives must be one the app's own OpenAPI document describes.
  checkAnswersAgainstDocument(app)
  return { app, logs }
}

/**
 * A token no other test (or earlier run against a shared Postgres) can have used; tests put it in names and
 * emails so they can find exactly their own rows with `?q=`.
 */
export function uniqueTag(label = 't'): string {
  return `${label}${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`
}

export function uniqueEmail(label = 'user'): string {
  return `${uniqueTag(label)}@example.test`
}

export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }
}

export interface UserBody {
  id: number
  name: string
  email: string
  role: Role
  createdAt: string
  updatedAt: string
}

export interface SessionBody {
  user: UserBody
  tokenType: 'Bearer'
  accessToken: string
  expiresIn: number
  refreshToken: string
  refreshTokenExpiresIn: number
}

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  requestId: string
  errors?: { field: string; in: string; detail: string; pointer?: string }[]
}

type AppLike = ReturnType<typeof createApp>

/** Creates a user through the API (the client must be an admin) and returns it, failing loudly if the API refuses. */
export async function createUserViaApi(
  app: Client,
  input: { name: string; email: string },
): Promise<UserBody> {
  const response = await app.request('/api/users', jsonInit('POST', input))
  if (response.status !== 201)
    throw new Error(`POST /api/users answered ${response.status}: ${await response.text()}`)
  return (await response.json()) as UserBody
}

/** A 429 from the log-in throttle: a problem of its own type, and a Retry-After within the throttle's window. */
export async function expectThrottled(response: Response, windowSeconds: number): Promise<void> {
  expect(response.status).toBe(429)
  const retryAfter = Number(response.headers.get('retry-after'))
  expect(Number.isInteger(retryAfter)).toBe(true)
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  const problem = (await response.json()) as ProblemBody
  expect(problem.type).toBe('/problems/too-many-login-attempts')
  // The detail says when the throttle ends, in seconds and as a time of day, agreeing with Retry-After.
  const ends = problem.detail.match(/try again in (\d+) s, at (\d\d):(\d\d):(\d\d) UTC\.$/)
  expect(ends, problem.detail).not.toBeNull()
  const [, seconds, hours, minutes, secondsOfMinute] = (ends as RegExpMatchArray).map(Number)
  expect(seconds).toBe(retryAfter)
  const expected = Date.now() + retryAfter * 1000
  const at = new Date(expected)
  at.setUTCHours(hours as number, minutes as number, secondsOfMinute as number, 0)
  // Within a few seconds of now + Retry-After, modulo a day (the end may fall after midnight UTC).
  const day = 86_400_000
  const drift = Math.abs(((((at.getTime() - expected) % day) + day + day / 2) % day) - day / 2)
  expect(drift).toBeLessThan(5_000)
}

/** The session (refresh-token family) id an access token of ours names in its `sid` claim. */
export function sessionIdOf(accessToken: string): string {
  const payload = accessToken.split('.')[1] ?? ''
  const json = atob(payload.replaceAll('-', '+').replaceAll('_', '/'))
  return (JSON.parse(json) as { sid: string }).sid
}

/**
 * The Cookie header a browser on localhost (or https) sends to /api/auth for `session`: the refresh cookie and the
 * `__Host-` session-id cookie set beside it, without which a refresh cookie is not spent (decision 0034).
 */
export function refreshCookies(session: { accessToken: string; refreshToken: string }): string {
  return `__Secure-edgeline_refresh=${session.refreshToken}; __Host-edgeline_sid=${sessionIdOf(session.accessToken)}`
}
