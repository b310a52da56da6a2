/** Reads and validates the app's configuration once; the only edge module that touches `process.env`. */
import { z } from 'zod'
import { DEFAULT_LOCAL_SQL_ENDPOINT, EMBEDDED_DATABASE_URL, isLocalDatabaseUrl } from '../db/local-url'

export interface AppConfig {
  /** Postgres connection string: Neon in production, the embedded PGlite database by default locally. */
  databaseUrl: string
  /** Where a local `databaseUrl` is sent (the local Neon SQL-over-HTTP endpoint). */
  localSqlEndpoint: string
  /** Origins allowed to call the API from a browser; `['*']` allows any; empty disables CORS. */
  corsOrigins: string[]
}

/** The variables the app reads, as plain strings (exactly what `process.env` holds). */
export type EnvSource = Partial<
  Record<'DATABASE_URL' | 'LOCAL_SQL_ENDPOINT' | 'CORS_ORIGINS' | 'VERCEL', string>
>

// An empty variable (`FOO=` in .env) means "unset", as most tools treat it.
const optionalString = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z.string().trim().optional(),
)

const isOrigin = (value: string): boolean => {
  try {
    return new URL(value).origin === value
  } catch {
    return false
  }
}

const envSchema = z
  .object({
    DATABASE_URL: optionalString.refine(
      (value) => value === undefined || /^postgres(ql)?:\/\/\S+$/.test(value),
      {
        message: 'must be a postgres:// or postgresql:// connection string',
      },
    ),
    LOCAL_SQL_ENDPOINT: optionalString.refine(
      (value) => value === undefined || /^https?:\/\/\S+$/.test(value),
      {
        message: 'must be an http(s) URL such as http://127.0.0.1:4444/sql',
      },
    ),
    CORS_ORIGINS: optionalString
      .transform((value) => (value ? value.split(',').map((origin) => origin.trim().replace(/\/$/, '')) : []))
      .refine((origins) => origins.every((origin) => origin === '*' || isOrigin(origin)), {
        message: 'must be "*" or a comma-separated list of origins like https://app.example.com (no paths)',
      }),
    VERCEL: optionalString,
  })
  .superRefine((env, context) => {
    // On Vercel the embedded default cannot exist: refuse to start rather than fail on the first query.
    if (env.VERCEL !== '1') return
    if (env.DATABASE_URL === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required on Vercel (set it to your Neon connection string)',
      })
    } else if (isLocalDatabaseUrl(env.DATABASE_URL)) {
      context.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'names a local database, which a Vercel deployment cannot reach',
      })
    }
  })

/** Validates `source`, throwing one error that names every bad variable. */
export function parseConfig(source: EnvSource): AppConfig {
  const parsed = envSchema.safeParse(source)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')} ${issue.message}`)
    throw new Error(`Invalid environment configuration:\n${problems.join('\n')}\nSee .env.example.`)
  }
  const env = parsed.data
  return {
    databaseUrl: env.DATABASE_URL ?? EMBEDDED_DATABASE_URL,
    localSqlEndpoint: env.LOCAL_SQL_ENDPOINT ?? DEFAULT_LOCAL_SQL_ENDPOINT,
    corsOrigins: env.CORS_ORIGINS,
  }
}

/** The configuration of this process. Each variable is read by name so bundlers and the edge sandbox see exactly what is used. */
export function readConfig(): AppConfig {
  return parseConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    LOCAL_SQL_ENDPOINT: process.env.LOCAL_SQL_ENDPOINT,
    CORS_ORIGINS: process.env.CORS_ORIGINS,
    VERCEL: process.env.VERCEL,
  })
}
