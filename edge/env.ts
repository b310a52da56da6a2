/** Reads and validates the app's configuration once; the only edge module that touches `process.env`. */
import {
  DEFAULT_DATABASE_TIMEOUT_MS,
  DEFAULT_SQL_GATEWAY_ENDPOINT,
  EMBEDDED_DATABASE_URL,
  isLocalDatabaseUrl,
  isNeonDatabaseUrl,
} from '../db/database-url'
import type { TokenConfig } from './auth/tokens'

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

export interface AppConfig {
  /** Postgres connection string: Neon in production, the embedded PGlite database by default locally. */
  databaseUrl: string
  /** Where a `databaseUrl` that is not Neon's is sent (our SQL-over-HTTP gateway, `db/gateway/`). */
  sqlGatewayEndpoint: string
  /** Deadline of every database call (DATABASE_TIMEOUT_MS): past it the API answers 504. */
  databaseTimeoutMs: number
  /** Origins allowed to call the API from a browser; `['*']` allows any; empty disables CORS. */
  corsOrigins: string[]
  /** Token keys, lifetimes and log-in throttling. */
  auth: AuthConfig
  /**
   * Host names `next dev` answers (loopback, `*.localhost` and DEV_ALLOWED_HOSTS), so a DNS-rebinding page cannot
   * reach it; undefined (any host) outside development, where the platform or proxy decides.
   */
  allowedHosts: string[] | undefined
}

/** What a development server answers without DEV_ALLOWED_HOSTS: this machine only. */
export const LOOPBACK_HOSTS = ['localhost', '*.localhost', '127.0.0.1', '[::1]']

/** Every variable the app reads (edge and Node alike), in one list. */
export const ENV_NAMES = [
  'DATABASE_URL',
  'SQL_GATEWAY_ENDPOINT',
  'DATABASE_TIMEOUT_MS',
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
] as const

/** The variables the app reads, as plain strings (exactly what `process.env` holds). */
export type EnvSource = Partial<Record<(typeof ENV_NAMES)[number], string>>

/**
 * Signs tokens only when nothing else is configured, the database is local and we are not on Vercel: a fresh
 * clone works with no .env, and no deployment can ever accept tokens signed with this published value.
 */
export const DEVELOPMENT_JWT_SECRET = 'edgeline-local-development-secret-never-use-in-production'

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
class Invalid extends Error {}

/** An empty variable (`FOO=` in .env) means "unset", as most tools treat it; a set one is trimmed. */
function optionalString(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value.trim()
}

/** An optional string that, when set, must pass `isValid`. */
function optionalStringWhere(isValid: (value: string) => boolean, message: string) {
  return (raw: string | undefined): string | undefined => {
    const value = optionalString(raw)
    if (value !== undefined && !isValid(value)) throw new Invalid(message)
    return value
  }
}

/** A comma-separated list, trimmed; unset or empty is an empty list. */
function commaSeparated(raw: string | undefined): string[] {
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
function wholeNumber(unit: string, fallback: number, min: number, max: number) {
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
  }
}

/** The configuration of this process. Each variable is read by name so bundlers and the edge sandbox see exactly what is used. */
export function readConfig(): AppConfig {
  return parseConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    SQL_GATEWAY_ENDPOINT: process.env.SQL_GATEWAY_ENDPOINT,
    DATABASE_TIMEOUT_MS: process.env.DATABASE_TIMEOUT_MS,
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
  })
}

// ─── Telemetry (OpenTelemetry's standard variables) ──────────────────────────────────────────────────────────────
// Read by its own function, which the middleware never calls: not a byte of it reaches the middleware's bundle.

/** Which traces are recorded (OTEL_TRACES_SAMPLER and its _ARG), as OpenTelemetry's built-in samplers decide. */
export interface SamplerConfig {
  /** `parentbased_*`: a caller's sampled flag decides when a `traceparent` came in; `root` decides otherwise. */
  parentBased: boolean
  /** The share of new traces recorded, 0 to 1 (`always_on` 1, `always_off` 0, `traceidratio` its argument). */
  ratio: number
}

export interface OtlpTarget {
  /** The full URL that receives the POST (`…/v1/traces`, `…/v1/metrics`). */
  url: string
  protocol: 'http/json' | 'http/protobuf'
  /** OTEL_EXPORTER_OTLP_HEADERS: an API key, a tenant; sent as given, never logged. */
  headers: Record<string, string>
  /** Deadline of one export (OTEL_EXPORTER_OTLP_TIMEOUT), in milliseconds. */
  timeoutMs: number
}

export interface TelemetryConfig {
  serviceName: string
  /** Resource attributes from OTEL_RESOURCE_ATTRIBUTES (service.name is `serviceName`). */
  resourceAttributes: Record<string, string>
  /** Undefined: no traces endpoint, or OTEL_SDK_DISABLED / OTEL_TRACES_EXPORTER=none: tracing is off, at no cost. */
  traces: OtlpTarget | undefined
  /** Undefined: no metrics endpoint (the production server alone records metrics). */
  metrics: OtlpTarget | undefined
  sampler: SamplerConfig
  /** OTEL_BSP_MAX_QUEUE_SIZE: spans held for export at most; past it new spans are dropped (and counted). */
  maxQueuedSpans: number
  /** OTEL_BSP_SCHEDULE_DELAY: where no request can keep exporting after its answer (Node), spans go out this often. */
  exportDelayMs: number
  /** OTEL_EDGELINE_DB_QUERY_TEXT=true: database spans carry the SQL text (placeholders only, never values). */
  databaseQueryText: boolean
  /** OTEL_METRIC_EXPORT_INTERVAL: how often the production server sends its metrics. */
  metricExportIntervalMs: number
}

const telemetryEnvNames = () =>
  [
    'OTEL_SDK_DISABLED',
    'OTEL_SERVICE_NAME',
    'OTEL_RESOURCE_ATTRIBUTES',
    'OTEL_TRACES_EXPORTER',
    'OTEL_METRICS_EXPORTER',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_EXPORTER_OTLP_TIMEOUT',
    'OTEL_TRACES_SAMPLER',
    'OTEL_TRACES_SAMPLER_ARG',
    'OTEL_BSP_MAX_QUEUE_SIZE',
    'OTEL_BSP_SCHEDULE_DELAY',
    'OTEL_EDGELINE_DB_QUERY_TEXT',
    'OTEL_METRIC_EXPORT_INTERVAL',
  ] as const

type TelemetryEnvName = ReturnType<typeof telemetryEnvNames>[number]
export type TelemetryEnvSource = Partial<Record<TelemetryEnvName, string>>

export const DEFAULT_OTEL_SERVICE_NAME = 'edgeline'

const isHttpUrl = (value: string) => /^https?:\/\/\S+$/.test(value)

const samplers = () => [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]

/** `key=value,key=value`, values percent-decoded (the OpenTelemetry environment specification's W3C Baggage form). */
function keyValueList(raw: string | undefined): Record<string, string> {
  const list: Record<string, string> = {}
  for (const entry of commaSeparated(raw)) {
    const at = entry.indexOf('=')
    if (at <= 0) throw new Invalid('must be a comma-separated list of key=value')
    try {
      list[entry.slice(0, at).trim()] = decodeURIComponent(entry.slice(at + 1).trim())
    } catch {
      throw new Invalid('has a value that is not valid percent-encoding')
    }
  }
  return list
}

// Short messages, each written once: every byte of this reader is in every function that holds the API.
function httpUrl(raw: string | undefined): string | undefined {
  return optionalStringWhere(isHttpUrl, 'must be an http(s) URL')(raw)
}

function otlpOrNone(raw: string | undefined): string | undefined {
  return optionalStringWhere((value) => value === 'otlp' || value === 'none', 'must be otlp or none')(raw)
}

/** `true` (any case) is true; anything else, or unset, false. */
function isTrue(raw: string | undefined): boolean {
  return optionalString(raw)?.toLowerCase() === 'true'
}

function otlpProtocol(raw: string | undefined): OtlpTarget['protocol'] {
  const value = optionalString(raw) ?? 'http/protobuf'
  if (value === 'http/json' || value === 'http/protobuf') return value
  throw new Invalid('must be http/protobuf or http/json')
}

function samplerName(raw: string | undefined): string {
  const value = optionalString(raw) ?? 'parentbased_always_on'
  if (!samplers().includes(value)) throw new Invalid(`must be one of ${samplers().join(', ')}`)
  return value
}

function samplerRatio(raw: string | undefined): number | undefined {
  const value = optionalString(raw)
  if (value === undefined) return undefined
  const ratio = Number(value)
  if (!(ratio >= 0 && ratio <= 1)) throw new Invalid('must be a number from 0 to 1')
  return ratio
}

/** Built on first use, inside the function, so a bundle that never reads telemetry (the middleware) holds none of it. */
const telemetryReaders = () =>
  ({
    OTEL_SDK_DISABLED: isTrue,
    OTEL_SERVICE_NAME: optionalString,
    OTEL_RESOURCE_ATTRIBUTES: keyValueList,
    OTEL_TRACES_EXPORTER: otlpOrNone,
    OTEL_METRICS_EXPORTER: otlpOrNone,
    OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl,
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: httpUrl,
    OTEL_EXPORTER_OTLP_HEADERS: keyValueList,
    OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
    OTEL_EXPORTER_OTLP_TIMEOUT: wholeNumber('milliseconds', 10_000, 100, 60_000),
    OTEL_TRACES_SAMPLER: samplerName,
    OTEL_TRACES_SAMPLER_ARG: samplerRatio,
    OTEL_BSP_MAX_QUEUE_SIZE: wholeNumber('spans', 2048, 1, 100_000),
    OTEL_BSP_SCHEDULE_DELAY: wholeNumber('milliseconds', 5000, 10, 600_000),
    OTEL_EDGELINE_DB_QUERY_TEXT: isTrue,
    OTEL_METRIC_EXPORT_INTERVAL: wholeNumber('milliseconds', 60_000, 100, 3_600_000),
  }) satisfies Record<TelemetryEnvName, (raw: string | undefined) => unknown>

/** A signal's own endpoint is used as given; the shared one gets the signal's path (`/v1/traces`), as the spec says. */
function otlpUrl(own: string | undefined, shared: string | undefined, path: string): string | undefined {
  if (own) return own
  return shared ? `${shared.replace(/\/+$/, '')}${path}` : undefined
}

/** Validates OpenTelemetry's variables, throwing one error that names every bad one. */
export function parseTelemetryConfig(source: TelemetryEnvSource): TelemetryConfig {
  const problems: string[] = []
  const env: Record<string, unknown> = {}
  const readers = telemetryReaders()
  for (const name of telemetryEnvNames()) {
    try {
      env[name] = readers[name](source[name])
    } catch (error) {
      if (!(error instanceof Invalid)) throw error
      problems.push(`${name} ${error.message}`)
    }
  }
  if (problems.length > 0) {
    throw new Error(`Invalid environment configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`)
  }
  type Readers = ReturnType<typeof telemetryReaders>
  const read = env as { [Name in keyof Readers]: ReturnType<Readers[Name]> }
  const target = (url: string | undefined): OtlpTarget | undefined =>
    url && !read.OTEL_SDK_DISABLED
      ? {
          url,
          protocol: read.OTEL_EXPORTER_OTLP_PROTOCOL,
          headers: read.OTEL_EXPORTER_OTLP_HEADERS,
          timeoutMs: read.OTEL_EXPORTER_OTLP_TIMEOUT,
        }
      : undefined
  const sampler = read.OTEL_TRACES_SAMPLER
  const ratio = sampler.endsWith('always_on')
    ? 1
    : sampler.endsWith('always_off')
      ? 0
      : (read.OTEL_TRACES_SAMPLER_ARG ?? 1)
  const { 'service.name': namedService, ...resourceAttributes } = read.OTEL_RESOURCE_ATTRIBUTES
  return {
    serviceName: read.OTEL_SERVICE_NAME ?? namedService ?? DEFAULT_OTEL_SERVICE_NAME,
    resourceAttributes,
    traces:
      read.OTEL_TRACES_EXPORTER === 'none'
        ? undefined
        : target(
            otlpUrl(read.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, read.OTEL_EXPORTER_OTLP_ENDPOINT, '/v1/traces'),
          ),
    metrics:
      read.OTEL_METRICS_EXPORTER === 'none'
        ? undefined
        : target(
            otlpUrl(
              read.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
              read.OTEL_EXPORTER_OTLP_ENDPOINT,
              '/v1/metrics',
            ),
          ),
    sampler: { parentBased: sampler.startsWith('parentbased_'), ratio },
    maxQueuedSpans: read.OTEL_BSP_MAX_QUEUE_SIZE,
    exportDelayMs: read.OTEL_BSP_SCHEDULE_DELAY,
    databaseQueryText: read.OTEL_EDGELINE_DB_QUERY_TEXT,
    metricExportIntervalMs: read.OTEL_METRIC_EXPORT_INTERVAL,
  }
}

/** OpenTelemetry's variables for this process, each read by name (see `readConfig`). */
export function readTelemetryConfig(): TelemetryConfig {
  return parseTelemetryConfig({
    OTEL_SDK_DISABLED: process.env.OTEL_SDK_DISABLED,
    OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME,
    OTEL_RESOURCE_ATTRIBUTES: process.env.OTEL_RESOURCE_ATTRIBUTES,
    OTEL_TRACES_EXPORTER: process.env.OTEL_TRACES_EXPORTER,
    OTEL_METRICS_EXPORTER: process.env.OTEL_METRICS_EXPORTER,
    OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    OTEL_EXPORTER_OTLP_HEADERS: process.env.OTEL_EXPORTER_OTLP_HEADERS,
    OTEL_EXPORTER_OTLP_PROTOCOL: process.env.OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TIMEOUT: process.env.OTEL_EXPORTER_OTLP_TIMEOUT,
    OTEL_TRACES_SAMPLER: process.env.OTEL_TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG: process.env.OTEL_TRACES_SAMPLER_ARG,
    OTEL_BSP_MAX_QUEUE_SIZE: process.env.OTEL_BSP_MAX_QUEUE_SIZE,
    OTEL_BSP_SCHEDULE_DELAY: process.env.OTEL_BSP_SCHEDULE_DELAY,
    OTEL_EDGELINE_DB_QUERY_TEXT: process.env.OTEL_EDGELINE_DB_QUERY_TEXT,
    OTEL_METRIC_EXPORT_INTERVAL: process.env.OTEL_METRIC_EXPORT_INTERVAL,
  })
}
