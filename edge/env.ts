/**
 * Reads and validates the app's configuration once; with edge/telemetry/env.ts (OpenTelemetry's variables, kept
 * apart so that only the API function carries them), the only edge modules that touch `process.env`.
 */
import {
  DEFAULT_DATABASE_TIMEOUT_MS,
  DEFAULT_SQL_GATEWAY_ENDPOINT,
  EMBEDDED_DATABASE_URL,
  isLocalDatabaseUrl,
  isNeonDatabaseUrl,
} from '../db/database-url'
import type { TokenConfig } from './auth/tokens'
import type { DeliverySettings } from './mail/delivery'

/** How many failed log-ins are tolerated, per email and per client address, within a sliding window. */
export interface LoginThrottleConfig {
  maxFailuresPerEmail: number
  maxFailuresPerClient: number
  windowSeconds: number
}

export interface AuthConfig extends TokenConfig {
  /** Lifetime of a refresh token (one step of a session family); each use replaces it. */
  refreshTokenSeconds: number
  /**
   * How long after its use a refresh token presented again is taken for a race (two tabs, a retry) rather than a
   * replay: refused without revoking the family. Decision 0009.
   */
  refreshReuseGraceSeconds: number
  /** True when no key was configured and the well-known local development secret signs tokens (local only). */
  usesDevelopmentSecret: boolean
  loginThrottle: LoginThrottleConfig
}

/** The HTTP email APIs messages can be delivered through (with `fetch`, on every runtime). */
export const EMAIL_PROVIDERS = ['resend', 'postmark'] as const
export type EmailProvider = (typeof EMAIL_PROVIDERS)[number]

/** Account email: where its links point, and how (whether) it is delivered. */
export interface MailConfig {
  /**
   * The origin links in email point to (APP_ORIGIN), such as https://app.example.com. Unset (local development, a
   * deployment that sends no email), links use the origin of the request that caused the message.
   */
  appOrigin: string | undefined
  /** Delivery through a provider's API; undefined: messages stay in the outbox (`npm run mail:outbox`). */
  delivery: DeliverySettings | undefined
  /** The bearer secret of the scheduled flush (`GET /api/mail/flush`, Vercel Cron's CRON_SECRET); unset: refused. */
  cronSecret: string | undefined
}

export interface AppConfig {
  /** Postgres connection string: Neon in production, the embedded PGlite database by default locally. */
  databaseUrl: string
  /** Where a `databaseUrl` that is not Neon's is sent (our SQL-over-HTTP gateway, `db/gateway/`). */
  sqlGatewayEndpoint: string
  /** Deadline of every database call (DATABASE_TIMEOUT_MS): past it the API answers 504. */
  databaseTimeoutMs: number
  /**
   * Read replicas of `databaseUrl` (DATABASE_REPLICA_URLS), reached like it: Neon's directly, others through the
   * gateway. Empty: every read on the primary. Decision 0037.
   */
  replicaUrls: string[]
  /** A replica further behind than this serves no reads until it catches up (DATABASE_REPLICA_MAX_LAG_MS). */
  replicaMaxLagMs: number
  /** Origins allowed to call the API from a browser; `['*']` allows any; empty disables CORS. */
  corsOrigins: string[]
  /** Token keys, lifetimes and log-in throttling. */
  auth: AuthConfig
  /**
   * Host names `next dev` answers (loopback, `*.localhost` and DEV_ALLOWED_HOSTS), so a DNS-rebinding page cannot
   * reach it; undefined (any host) outside development, where the platform or proxy decides.
   */
  allowedHosts: string[] | undefined
  /** Account email: link origin and delivery. */
  mail: MailConfig
}

/** What a development server answers without DEV_ALLOWED_HOSTS: this machine only. */
export const LOOPBACK_HOSTS = ['localhost', '*.localhost', '127.0.0.1', '[::1]']

/** Every variable the app reads (edge and Node alike), in one list. */
export const ENV_NAMES = [
  'DATABASE_URL',
  'SQL_GATEWAY_ENDPOINT',
  'DATABASE_TIMEOUT_MS',
  'DATABASE_REPLICA_URLS',
  'DATABASE_REPLICA_MAX_LAG_MS',
  'CORS_ORIGINS',
  'VERCEL',
  'NODE_ENV',
  'NEXT_PHASE',
  'JWT_SECRET',
  'JWT_PREVIOUS_SECRETS',
  'JWKS_URL',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'ACCESS_TOKEN_TTL_SECONDS',
  'REFRESH_TOKEN_TTL_SECONDS',
  'JWT_CLOCK_TOLERANCE_SECONDS',
  'DEV_ALLOWED_HOSTS',
  'LOCAL_SQL_ENDPOINT',
  'APP_ORIGIN',
  'EMAIL_PROVIDER',
  'EMAIL_API_KEY',
  'EMAIL_FROM',
  'EMAIL_API_URL',
  'CRON_SECRET',
] as const

/** The variables the app reads, as plain strings (exactly what `process.env` holds). */
export type EnvSource = Partial<Record<(typeof ENV_NAMES)[number], string>>

/**
 * Signs tokens only when nothing else is configured, the database is local and we are not on Vercel: a fresh
 * clone works with no .env, and no deployment can ever accept tokens signed with this published value.
 */
export const DEVELOPMENT_JWT_SECRET = 'edgeline-local-development-secret-never-use-in-production'

/** How far behind a replica may be and still serve other callers' reads (their own writes are checked exactly). */
export const DEFAULT_REPLICA_MAX_LAG_MS = 5000

export const DEFAULT_ACCESS_TOKEN_SECONDS = 15 * 60
export const DEFAULT_REFRESH_TOKEN_SECONDS = 30 * 24 * 60 * 60
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5
export const DEFAULT_REFRESH_REUSE_GRACE_SECONDS = 30
export const DEFAULT_LOGIN_THROTTLE: LoginThrottleConfig = {
  maxFailuresPerEmail: 5,
  maxFailuresPerClient: 20,
  windowSeconds: 15 * 60,
}
/** HS256 keys shorter than the hash output (32 bytes) weaken it (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32

// Plain functions, no schema library: the middleware imports this module, and every KiB of it is in the middleware
// (decision 0021). Each reader returns the value or throws `Invalid` with the message after the variable's name.

/** A variable's value is wrong; `message` follows its name in the error. */
export class Invalid extends Error {}

/** An empty variable (`FOO=` in .env) means "unset", as most tools treat it; a set one is trimmed. */
export function optionalString(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value.trim()
}

/** An optional string that, when set, must pass `isValid`. */
export function optionalStringWhere(isValid: (value: string) => boolean, message: string) {
  return (raw: string | undefined): string | undefined => {
    const value = optionalString(raw)
    if (value !== undefined && !isValid(value)) throw new Invalid(message)
    return value
  }
}

/** A comma-separated list, trimmed; unset or empty is an empty list. */
export function commaSeparated(raw: string | undefined): string[] {
  const value = optionalString(raw)
  return value ? value.split(',').map((entry) => entry.trim()) : []
}

const isOrigin = (value: string): boolean => {
  try {
    return new URL(value).origin === value
  } catch {
    return false
  }
}

const byteLength = (value: string) => new TextEncoder().encode(value).length

const SECRET_TOO_SHORT = `must be at least ${MIN_SECRET_BYTES} bytes (generate one with: openssl rand -base64 48)`
const isLongEnoughSecret = (value: string) => byteLength(value) >= MIN_SECRET_BYTES

/** https only, except for an identity provider on this machine (development and tests). */
const isJwksUrl = (value: string): boolean => {
  try {
    const url = new URL(value)
    if (url.protocol === 'https:') return true
    return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  } catch {
    return false
  }
}

/** A whole number within [min, max], or `fallback` when unset or empty. */
export function wholeNumber(unit: string, fallback: number, min: number, max: number) {
  return (raw: string | undefined): number => {
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!Number.isInteger(value)) throw new Invalid(`must be a whole number of ${unit}`)
    if (value < min) throw new Invalid(`must be at least ${min}`)
    if (value > max) throw new Invalid(`must be at most ${max}`)
    return value
  }
}

/**
 * A variable that was renamed: a deployment still setting the old name stops with the new one named, rather than
 * silently losing the setting.
 */
function renamedTo(newName: string) {
  return (raw: string | undefined): undefined => {
    if (raw !== undefined && raw !== '') throw new Invalid(`was renamed ${newName}; set that instead`)
    return undefined
  }
}

const seconds = (fallback: number, min: number, max: number) => wholeNumber('seconds', fallback, min, max)

/** How each variable is read: its reader gets exactly what `process.env` holds. */
const readers = {
  DATABASE_URL: optionalStringWhere(
    (value) => /^postgres(ql)?:\/\/\S+$/.test(value),
    'must be a postgres:// or postgresql:// connection string',
  ),
  SQL_GATEWAY_ENDPOINT: optionalStringWhere(
    (value) => /^https?:\/\/\S+$/.test(value),
    'must be an http(s) URL such as http://127.0.0.1:4444/sql',
  ),
  DATABASE_TIMEOUT_MS: wholeNumber('milliseconds', DEFAULT_DATABASE_TIMEOUT_MS, 100, 120_000),
  DATABASE_REPLICA_URLS: (raw: string | undefined): string[] => {
    const urls = commaSeparated(raw)
    const bad = urls.findIndex((url) => !/^postgres(ql)?:\/\/\S+$/.test(url))
    if (bad >= 0) throw new Invalid('must be postgres:// or postgresql:// connection strings', { cause: bad })
    return urls
  },
  DATABASE_REPLICA_MAX_LAG_MS: wholeNumber('milliseconds', DEFAULT_REPLICA_MAX_LAG_MS, 0, 3_600_000),
  CORS_ORIGINS: (raw: string | undefined): string[] => {
    const origins = commaSeparated(raw).map((origin) => origin.replace(/\/$/, ''))
    if (!origins.every((origin) => origin === '*' || isOrigin(origin))) {
      throw new Invalid(
        'must be "*" or a comma-separated list of origins like https://app.example.com (no paths)',
      )
    }
    return origins
  },
  VERCEL: optionalString,
  NODE_ENV: optionalString,
  NEXT_PHASE: optionalString,
  JWT_SECRET: optionalStringWhere(isLongEnoughSecret, SECRET_TOO_SHORT),
  JWT_PREVIOUS_SECRETS: (raw: string | undefined): string[] => {
    const secrets = commaSeparated(raw)
    const short = secrets.findIndex((value) => !isLongEnoughSecret(value))
    if (short >= 0) throw new Invalid(SECRET_TOO_SHORT, { cause: short })
    return secrets
  },
  JWKS_URL: optionalStringWhere(
    isJwksUrl,
    'must be an https URL of a JSON Web Key Set (http only for localhost)',
  ),
  JWT_ISSUER: optionalString,
  JWT_AUDIENCE: optionalString,
  ACCESS_TOKEN_TTL_SECONDS: seconds(DEFAULT_ACCESS_TOKEN_SECONDS, 60, 24 * 60 * 60),
  REFRESH_TOKEN_TTL_SECONDS: seconds(DEFAULT_REFRESH_TOKEN_SECONDS, 60 * 60, 365 * 24 * 60 * 60),
  JWT_CLOCK_TOLERANCE_SECONDS: seconds(DEFAULT_CLOCK_TOLERANCE_SECONDS, 0, 300),
  DEV_ALLOWED_HOSTS: commaSeparated,
  LOCAL_SQL_ENDPOINT: renamedTo('SQL_GATEWAY_ENDPOINT'),
  APP_ORIGIN: optionalStringWhere(
    (value) => isOrigin(value.replace(/\/$/, '')) && /^https?:/.test(value),
    'must be the origin links in email point to, like https://app.example.com (no path)',
  ),
  EMAIL_PROVIDER: optionalStringWhere(
    (value) => (EMAIL_PROVIDERS as readonly string[]).includes(value),
    `must be one of ${EMAIL_PROVIDERS.join(', ')}`,
  ),
  EMAIL_API_KEY: optionalString,
  EMAIL_API_URL: optionalStringWhere(isOrigin, 'must be an origin like https://api.eu.example.com (no path)'),
  CRON_SECRET: optionalStringWhere(
    (value) => byteLength(value) >= 16,
    'must be at least 16 bytes (generate one with: openssl rand -base64 32)',
  ),
  EMAIL_FROM: optionalStringWhere(
    (value) => /^[^\r\n]*<?[^\s@<>]+@[^\s@<>]+>?$/.test(value),
    'must be a sender address, like "Edgeline <no-reply@example.com>"',
  ),
} satisfies Record<(typeof ENV_NAMES)[number], (raw: string | undefined) => unknown>

type Env = { [Name in keyof typeof readers]: ReturnType<(typeof readers)[Name]> }

/** Every variable read, or every problem found ("NAME message"), so one error can name them all. */
function readEnv(source: EnvSource): { env: Env } | { problems: string[] } {
  const problems: string[] = []
  const env: Record<string, unknown> = {}
  for (const name of ENV_NAMES) {
    try {
      env[name] = readers[name](source[name])
    } catch (error) {
      if (!(error instanceof Invalid)) throw error
      // A list names the entry at fault, as `JWT_PREVIOUS_SECRETS.1`.
      const at = typeof error.cause === 'number' ? `${name}.${error.cause}` : name
      problems.push(`${at} ${error.message}`)
    }
  }
  return problems.length > 0 ? { problems } : { env: env as Env }
}

/** What no single variable shows: the combinations a deployment must not start with. Each as "NAME message". */
function deploymentProblems(env: Env): string[] {
  const problems: string[] = []
  const onVercel = env.VERCEL === '1'
  const localDatabase = env.DATABASE_URL === undefined || isLocalDatabaseUrl(env.DATABASE_URL)
  // On Vercel the embedded default cannot exist: refuse to start rather than fail on the first query.
  if (onVercel && env.DATABASE_URL === undefined) {
    problems.push('DATABASE_URL is required on Vercel (set it to your Neon connection string)')
  } else if (onVercel && localDatabase) {
    problems.push('DATABASE_URL names a local database, which a Vercel deployment cannot reach')
  } else if (onVercel && !isNeonDatabaseUrl(env.DATABASE_URL ?? '') && !env.SQL_GATEWAY_ENDPOINT) {
    // Edge functions speak only SQL-over-HTTP: another Postgres needs a gateway they can reach.
    problems.push(
      'SQL_GATEWAY_ENDPOINT is required on Vercel when DATABASE_URL is not a Neon host (a SQL-over-HTTP gateway in front of it)',
    )
  }
  // Replicas are reached like the primary, so the same rules hold for each of them.
  if (onVercel && env.DATABASE_REPLICA_URLS.some(isLocalDatabaseUrl)) {
    problems.push('DATABASE_REPLICA_URLS names a local database, which a Vercel deployment cannot reach')
  } else if (
    onVercel &&
    env.DATABASE_REPLICA_URLS.some((url) => !isNeonDatabaseUrl(url)) &&
    !env.SQL_GATEWAY_ENDPOINT
  ) {
    problems.push(
      'SQL_GATEWAY_ENDPOINT is required on Vercel when a DATABASE_REPLICA_URLS entry is not a Neon host',
    )
  }
  // Production (`next start`, `npm start`, Vercel) never signs with the published secret, even on a local
  // database: a self-hosted server on the embedded database would otherwise accept anyone's forged tokens.
  // (`next build` also loads the modules to read their config: it serves nothing, so it is not held to this.)
  const servingProduction = env.NODE_ENV === 'production' && env.NEXT_PHASE !== 'phase-production-build'
  const deployed = onVercel || !localDatabase || servingProduction
  if (deployed && env.JWT_SECRET === undefined && env.JWKS_URL === undefined) {
    problems.push(
      'JWT_SECRET or JWKS_URL is required outside local development (generate a secret with: openssl rand -base64 48)',
    )
  }
  if (deployed && env.JWT_SECRET === DEVELOPMENT_JWT_SECRET) {
    problems.push('JWT_SECRET is the published local development secret; set a secret of your own')
  }
  const emailSettings = [env.EMAIL_PROVIDER, env.EMAIL_API_KEY, env.EMAIL_FROM]
  if (emailSettings.some((value) => value !== undefined) && emailSettings.includes(undefined)) {
    problems.push(
      'EMAIL_PROVIDER, EMAIL_API_KEY and EMAIL_FROM must be set together (or none, to keep mail in the outbox)',
    )
  }
  // A link built from the request's Host could be aimed at any site by whoever sends the request.
  if (env.EMAIL_PROVIDER !== undefined && (onVercel || servingProduction) && env.APP_ORIGIN === undefined) {
    problems.push(
      'APP_ORIGIN is required in production when email is configured (the origin links in email point to)',
    )
  }
  if (env.JWT_PREVIOUS_SECRETS.length > 0 && env.JWT_SECRET === undefined) {
    problems.push('JWT_PREVIOUS_SECRETS needs JWT_SECRET (the current secret) to be set as well')
  }
  return problems
}

/** Validates `source`, throwing one error that names every bad variable. */
export function parseConfig(source: EnvSource): AppConfig {
  const read = readEnv(source)
  // As before any combination is judged, every variable must be valid on its own.
  const problems = 'problems' in read ? read.problems : deploymentProblems(read.env)
  if (problems.length > 0 || !('env' in read)) {
    const lines = problems.map((problem) => `  ${problem}`)
    // No pointer to a file here: this runs in deployments that carry no .env.example (the Node artefact, a Worker);
    // each entry point that has help to offer adds it (server/main.ts: --help).
    throw new Error(`Invalid environment configuration:\n${lines.join('\n')}`)
  }
  const env = read.env
  // Reaching here without any key means local development (the refinement above refuses it anywhere else).
  const usesDevelopmentSecret = env.JWT_SECRET === undefined && env.JWKS_URL === undefined
  const currentSecret = env.JWT_SECRET ?? (usesDevelopmentSecret ? DEVELOPMENT_JWT_SECRET : undefined)
  return {
    databaseUrl: env.DATABASE_URL ?? EMBEDDED_DATABASE_URL,
    sqlGatewayEndpoint: env.SQL_GATEWAY_ENDPOINT ?? DEFAULT_SQL_GATEWAY_ENDPOINT,
    databaseTimeoutMs: env.DATABASE_TIMEOUT_MS,
    replicaUrls: env.DATABASE_REPLICA_URLS,
    replicaMaxLagMs: env.DATABASE_REPLICA_MAX_LAG_MS,
    corsOrigins: env.CORS_ORIGINS,
    allowedHosts:
      env.NODE_ENV === 'development'
        ? [...LOOPBACK_HOSTS, ...env.DEV_ALLOWED_HOSTS.map((host) => host.toLowerCase())]
        : undefined,
    auth: {
      secrets: currentSecret ? [currentSecret, ...env.JWT_PREVIOUS_SECRETS] : [],
      ...(env.JWKS_URL ? { jwksUrl: env.JWKS_URL } : {}),
      ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
      ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
      accessTokenSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
      refreshReuseGraceSeconds: DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
      clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
      usesDevelopmentSecret,
      loginThrottle: DEFAULT_LOGIN_THROTTLE,
    },
    mail: {
      appOrigin: env.APP_ORIGIN?.replace(/\/$/, ''),
      delivery:
        env.EMAIL_PROVIDER && env.EMAIL_API_KEY && env.EMAIL_FROM
          ? {
              provider: env.EMAIL_PROVIDER as EmailProvider,
              apiKey: env.EMAIL_API_KEY,
              from: env.EMAIL_FROM,
              apiUrl: env.EMAIL_API_URL,
            }
          : undefined,
      cronSecret: env.CRON_SECRET,
    },
  }
}

/** The configuration of this process. Each variable is read by name so bundlers and the edge sandbox see exactly what is used. */
export function readConfig(): AppConfig {
  return parseConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    SQL_GATEWAY_ENDPOINT: process.env.SQL_GATEWAY_ENDPOINT,
    DATABASE_TIMEOUT_MS: process.env.DATABASE_TIMEOUT_MS,
    DATABASE_REPLICA_URLS: process.env.DATABASE_REPLICA_URLS,
    DATABASE_REPLICA_MAX_LAG_MS: process.env.DATABASE_REPLICA_MAX_LAG_MS,
    CORS_ORIGINS: process.env.CORS_ORIGINS,
    VERCEL: process.env.VERCEL,
    NODE_ENV: process.env.NODE_ENV,
    NEXT_PHASE: process.env.NEXT_PHASE,
    JWT_SECRET: process.env.JWT_SECRET,
    JWT_PREVIOUS_SECRETS: process.env.JWT_PREVIOUS_SECRETS,
    JWKS_URL: process.env.JWKS_URL,
    JWT_ISSUER: process.env.JWT_ISSUER,
    JWT_AUDIENCE: process.env.JWT_AUDIENCE,
    ACCESS_TOKEN_TTL_SECONDS: process.env.ACCESS_TOKEN_TTL_SECONDS,
    REFRESH_TOKEN_TTL_SECONDS: process.env.REFRESH_TOKEN_TTL_SECONDS,
    JWT_CLOCK_TOLERANCE_SECONDS: process.env.JWT_CLOCK_TOLERANCE_SECONDS,
    DEV_ALLOWED_HOSTS: process.env.DEV_ALLOWED_HOSTS,
    LOCAL_SQL_ENDPOINT: process.env.LOCAL_SQL_ENDPOINT,
    APP_ORIGIN: process.env.APP_ORIGIN,
    EMAIL_PROVIDER: process.env.EMAIL_PROVIDER,
    EMAIL_API_KEY: process.env.EMAIL_API_KEY,
    EMAIL_FROM: process.env.EMAIL_FROM,
    EMAIL_API_URL: process.env.EMAIL_API_URL,
    CRON_SECRET: process.env.CRON_SECRET,
  })
}
