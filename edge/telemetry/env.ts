/**
 * OpenTelemetry's standard variables (OTEL_*), read and validated once, as edge/env.ts reads the others. A module of
 * its own: only what traces imports it (the API, the middleware, the pages, the form handlers, the production server,
 * the Worker), not everything that reads edge/env.ts (Turbopack keeps every export of a module a function imports).
 */
import { commaSeparated, Invalid, optionalString, optionalStringWhere, wholeNumber } from '../env'

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

/** Every OpenTelemetry variable this app reads (`node server.mjs --help` lists them all; a test checks). */
export const telemetryEnvNames = () =>
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

/** Built on first use, inside the function, so a bundle that never reads telemetry (a form handler) holds none of it. */
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
