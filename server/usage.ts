/** What `node server.mjs --help` prints: the production server's commands, options and variables, in one place. */

/** The variables the server reads, by group; `server-help.test.ts` checks the list against what the code reads. */
export const SERVER_VARIABLES: readonly (readonly [group: string, lines: readonly string[]])[] = [
  [
    'Database',
    [
      'DATABASE_URL                  Postgres to serve. A Neon host is reached directly, any other through the',
      '                              SQL-over-HTTP gateway in this process. Unset: an embedded PGlite database',
      '                              in ./.data (migrated at start; for trying Edgeline, not for production)',
      'DATABASE_TIMEOUT_MS           deadline of every database call, 100 … 120000 (default 10000)',
      'DATABASE_REPLICA_URLS         read replicas of DATABASE_URL, comma-separated, reached like it: reads go',
      "                              there when they can, never hiding a caller's own writes (README Scaling reads)",
      'DATABASE_REPLICA_MAX_LAG_MS   a replica further behind serves no reads, 0 … 3600000 (default 5000)',
      'SQL_GATEWAY_ENDPOINT          a gateway you run elsewhere; unset: one in this process (loopback only)',
      "SQL_GATEWAY_PORT              that gateway's port (default: a free one)",
      'SQL_GATEWAY_POOL_SIZE         connections per database (default 10)',
      'SQL_GATEWAY_POOL_TIMEOUT_MS   wait for a free connection before 503 (default 5000; 0 = forever)',
      'SQL_GATEWAY_STATEMENT_TIMEOUT_MS  statement timeout on real Postgres (default 0 = none)',
      'LOCAL_SQL_DATA_DIR            where the embedded database keeps its files (default .data/pglite)',
    ],
  ],
  [
    'Tokens',
    [
      'JWT_SECRET                    HS256 secret, at least 32 bytes (openssl rand -base64 48). Required, or',
      '                              JWKS_URL, unless the database is embedded (then one is made in ./.data)',
      'JWT_PREVIOUS_SECRETS          secrets being retired, comma-separated: they verify, never sign',
      "JWKS_URL                      an identity provider's key set (https)",
      'JWT_ISSUER, JWT_AUDIENCE      the iss and aud every token must carry',
      'ACCESS_TOKEN_TTL_SECONDS      60 … 86400 (default 900)',
      'REFRESH_TOKEN_TTL_SECONDS     3600 … 31536000 (default 2592000)',
      'JWT_CLOCK_TOLERANCE_SECONDS   0 … 300 (default 5)',
    ],
  ],
  [
    'Server',
    [
      'PORT, HOSTNAME                where to listen (default 3000 on 0.0.0.0); --port and --hostname win',
      'TRUST_PROXY                   whose X-Forwarded-For to believe: none (default), the number of proxies in',
      '                              front (1 behind nginx), or their addresses (loopback, 10.0.0.0/8, …)',
      'SHUTDOWN_TIMEOUT_MS           how long SIGTERM waits for requests in flight (default 10000)',
      'CORS_ORIGINS                  origins allowed to call the API from a browser, comma-separated, or *',
    ],
  ],
  [
    'Email (README, Getting in and back in; none set: messages stay in the outbox)',
    [
      'EMAIL_PROVIDER                resend or postmark; with EMAIL_API_KEY and EMAIL_FROM (all three or none)',
      'EMAIL_API_KEY, EMAIL_FROM     the provider key, and a sender on a domain it has verified',
      "EMAIL_API_URL                 another API origin for the provider (default: the provider's own)",
      'APP_ORIGIN                    the origin links in email point to; required when EMAIL_PROVIDER is set',
      'CRON_SECRET                   Bearer secret of GET /api/mail/flush (this server also flushes every minute)',
    ],
  ],
  [
    'Observability (README, Observability; all off without an endpoint)',
    [
      "OTEL_EXPORTER_OTLP_ENDPOINT   an OTLP/HTTP collector's base URL: traces and metrics are sent there",
      'OTEL_EXPORTER_OTLP_PROTOCOL   http/protobuf (default) or http/json; OTEL_EXPORTER_OTLP_HEADERS for keys',
      'OTEL_SERVICE_NAME             the service name spans and metrics carry (default edgeline)',
      'OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG  parentbased_always_on (default), traceidratio and its ratio, …',
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT  each signal's own full URL",
      'OTEL_EXPORTER_OTLP_TIMEOUT    deadline of one export, ms (default 10000)',
      'OTEL_RESOURCE_ATTRIBUTES      more resource attributes, key=value,…',
      'OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER  true / none turn a signal off',
      'OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_SCHEDULE_DELAY  spans held at most (2048), how often they go out (ms)',
      'OTEL_METRIC_EXPORT_INTERVAL   how often metrics go out, ms (default 60000)',
      'OTEL_EDGELINE_DB_QUERY_TEXT   true: database spans carry the SQL text (placeholders, never values)',
      'METRICS_PORT, METRICS_HOSTNAME  Prometheus text at /metrics on that port (default host 127.0.0.1)',
    ],
  ],
]

export function usage(): string {
  return [
    "Edgeline's production server: the API, the pages and the SQL-over-HTTP gateway in one Node process.",
    '',
    'Usage:',
    '  node server.mjs [--port N] [--hostname ADDRESS]   serve (npm start -- --port N passes them on)',
    '  node server.mjs migrate                            apply the database migrations to DATABASE_URL, then exit',
    '  node server.mjs --help                             print this text',
    '',
    'Options:',
    '  -p, --port N            the port to listen on (default: PORT, else 3000; 0 picks a free one)',
    '  -H, --hostname ADDRESS  the address to listen on (default: HOSTNAME, else 0.0.0.0, every interface)',
    '  -h, --help              print this text and exit',
    '',
    'Environment variables (also read from .env, .env.production and .env.local in the working directory;',
    'an empty value means unset):',
    ...SERVER_VARIABLES.flatMap(([group, lines]) => ['', `  ${group}`, ...lines.map((line) => `  ${line}`)]),
    '',
    'Signals: SIGTERM or SIGINT drains (stops accepting, finishes requests in flight, writes out the access log)',
    'and exits 0; a second signal exits 130 at once. An error at start exits 1 and says why.',
    '',
  ].join('\n')
}
