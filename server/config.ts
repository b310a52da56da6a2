/** The production server's own settings (listen address, proxies, shutdown), read and validated once. */
import { parseArgs } from 'node:util'
import { z } from 'zod'

export interface ServerConfig {
  port: number
  /** The address to listen on; `0.0.0.0` (every interface) unless HOSTNAME or --hostname says otherwise. */
  hostname: string
  trustProxy: TrustProxy
  /** How long a SIGTERM waits for in-flight requests before it closes their connections. */
  shutdownTimeoutMs: number
  /** Where Prometheus scrapes `/metrics` (METRICS_PORT, METRICS_HOSTNAME); undefined: no such endpoint. */
  metrics: { port: number; hostname: string } | undefined
}

/**
 * Which `X-Forwarded-For` hops are believed (TRUST_PROXY). `none`: only the socket's peer, forwarded headers
 * ignored (no proxy in front, or one you do not trust). A number: that many proxies in front (the peer and the
 * entries it appended). A list: the proxies' addresses or CIDR ranges (`loopback`, `linklocal`, `uniquelocal`
 * name the usual ones), as Express reads `trust proxy`.
 */
export type TrustProxy =
  | { kind: 'none' }
  | { kind: 'hops'; hops: number }
  | { kind: 'addresses'; addresses: string[] }

const settingsSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOSTNAME: z.string().trim().min(1).default('0.0.0.0'),
  TRUST_PROXY: z
    .string()
    .trim()
    .default('none')
    .transform((value, context): TrustProxy => {
      if (value === '' || value === 'none' || value === 'false') return { kind: 'none' }
      if (/^\d+$/.test(value)) return { kind: 'hops', hops: Number(value) }
      if (value === 'true') {
        context.addIssue({
          code: 'custom',
          message: 'true would believe any client; give the number of proxies or their addresses',
        })
        return z.NEVER
      }
      return { kind: 'addresses', addresses: value.split(',').map((entry) => entry.trim()) }
    }),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  // Loopback unless said otherwise: the figures say how busy the server is, not for the whole network.
  METRICS_HOSTNAME: z.string().trim().min(1).default('127.0.0.1'),
})

/** Flags (`--port`, `-p`, `--hostname`, `-H`) win over PORT and HOSTNAME; a bad value names the setting. */
export function readServerConfig(argv: string[], env: Record<string, string | undefined>): ServerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p' },
      hostname: { type: 'string', short: 'H' },
    },
    strict: true,
  })
  const parsed = settingsSchema.safeParse({
    PORT: values.port ?? (env.PORT || undefined),
    HOSTNAME: values.hostname ?? (env.HOSTNAME || undefined),
    TRUST_PROXY: env.TRUST_PROXY,
    SHUTDOWN_TIMEOUT_MS: env.SHUTDOWN_TIMEOUT_MS || undefined,
    METRICS_PORT: env.METRICS_PORT || undefined,
    METRICS_HOSTNAME: env.METRICS_HOSTNAME || undefined,
  })
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
    throw new Error(`Invalid server settings:\n${problems.join('\n')}`)
  }
  const settings = parsed.data
  return {
    port: settings.PORT,
    hostname: settings.HOSTNAME,
    trustProxy: settings.TRUST_PROXY,
    shutdownTimeoutMs: settings.SHUTDOWN_TIMEOUT_MS,
    metrics:
      settings.METRICS_PORT === undefined
        ? undefined
        : { port: settings.METRICS_PORT, hostname: settings.METRICS_HOSTNAME },
  }
}
