/**
 * The production server's metrics: request duration by route and status, database round-trip duration, the
 * gateway's connections in use and waiting. Exported over OTLP/HTTP (cumulative, every OTEL_METRIC_EXPORT_INTERVAL)
 * and, for scrapers, as Prometheus text. Decision 0036.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ObservedRoundTrips } from '../db/round-trips'
import type { OtlpTarget } from '../edge/telemetry/env'
import {
  appendBytes,
  attributesField,
  doubleField,
  finish,
  fixed64Field,
  jsonAttributes,
  type Message,
  messageField,
  newMessage,
  type Origin,
  stringField,
  tag,
  varint,
} from '../edge/telemetry/otlp'
import { type AttributeValue, nowUnixNano } from '../edge/telemetry/span'

type Attributes = Record<string, AttributeValue>

/** Bucket bounds in seconds: OpenTelemetry's advice for `http.server.request.duration`. */
export const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
/** Bucket bounds in seconds for `db.client.operation.duration`, as its semantic convention advises. */
export const DATABASE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]

interface HistogramPoint {
  attributes: Attributes
  counts: number[]
  count: number
  sum: number
}

interface Histogram {
  name: string
  description: string
  unit: string
  bounds: number[]
  points: Map<string, HistogramPoint>
}

/** One reading of a gauge: a value for a set of attributes. */
export interface GaugeReading {
  attributes: Attributes
  value: number
}

interface Gauge {
  name: string
  description: string
  unit: string
  read: () => GaugeReading[]
}

export interface PoolReading {
  /** Connections running a statement for a request. */
  inUse: number
  /** Connections open and idle. */
  idle: number
  /** Requests waiting for a connection. */
  waiting: number
}

export interface ServerMetricsOptions {
  origin: Origin
  /** The gateway's pool now; undefined where there is none of ours (Neon). */
  readPool?: () => PoolReading | undefined
}

export interface ServerMetrics {
  recordRequest(request: {
    method: string
    route: string | undefined
    status: number
    durationMs: number
  }): void
  recordRoundTrip(trip: { operation: string; durationMs: number; failed: boolean }): void
  /** Everything, in Prometheus' text exposition format (version 0.0.4). */
  prometheusText(): string
  /** Everything, as an OTLP ExportMetricsServiceRequest. */
  otlpJson(): string
  otlpProtobuf(): Uint8Array<ArrayBuffer>
}

export function createServerMetrics({ origin, readPool }: ServerMetricsOptions): ServerMetrics {
  const startTime = nowUnixNano()
  const requests: Histogram = {
    name: 'http.server.request.duration',
    description: 'Duration of API requests, by route template and status.',
    unit: 's',
    bounds: REQUEST_BUCKETS,
    points: new Map(),
  }
  const roundTrips: Histogram = {
    name: 'db.client.operation.duration',
    description: 'Duration of database round trips (one statement or one batch), as the driver sees them.',
    unit: 's',
    bounds: DATABASE_BUCKETS,
    points: new Map(),
  }
  const gauges: Gauge[] = readPool
    ? [
        {
          name: 'db.client.connection.count',
          description: 'Connections of the SQL gateway pool, by state (used or idle).',
          unit: '{connection}',
          read: () => {
            const pool = readPool()
            return pool
              ? [
                  { attributes: { 'db.client.connection.state': 'used' }, value: pool.inUse },
                  { attributes: { 'db.client.connection.state': 'idle' }, value: pool.idle },
                ]
              : []
          },
        },
        {
          name: 'db.client.connection.pending_requests',
          description: 'Requests waiting for a connection of the SQL gateway pool.',
          unit: '{request}',
          read: () => {
            const pool = readPool()
            return pool ? [{ attributes: {}, value: pool.waiting }] : []
          },
        },
      ]
    : []
  const histograms = [requests, roundTrips]

  const metrics: ServerMetrics = {
    recordRequest({ method, route, status, durationMs }) {
      observe(requests, durationMs / 1000, {
        'http.request.method': method,
        ...(route ? { 'http.route': route } : {}),
        'http.response.status_code': status,
      })
    },
    recordRoundTrip({ operation, durationMs, failed }) {
      observe(roundTrips, durationMs / 1000, {
        'db.system.name': 'postgresql',
        'db.operation.name': operation,
        ...(failed ? { 'error.type': 'failed' } : {}),
      })
    },
    prometheusText: () => prometheusText(histograms, gauges),
    otlpJson: () => otlpJson(histograms, gauges, origin, startTime),
    otlpProtobuf: () => otlpProtobuf(histograms, gauges, origin, startTime),
  }
  return metrics
}

function observe(histogram: Histogram, value: number, attributes: Attributes): void {
  const key = JSON.stringify(attributes)
  let point = histogram.points.get(key)
  if (!point) {
    point = { attributes, counts: new Array(histogram.bounds.length + 1).fill(0), count: 0, sum: 0 }
    histogram.points.set(key, point)
  }
  // Bucket i counts values in (bounds[i-1], bounds[i]]; the last, values above every bound (OTLP's rule).
  let bucket = histogram.bounds.findIndex((bound) => value <= bound)
  if (bucket < 0) bucket = histogram.bounds.length
  point.counts[bucket] = (point.counts[bucket] ?? 0) + 1
  point.count += 1
  point.sum += value
}

// ─── Prometheus text ─────────────────────────────────────────────────────────────────────────────────────────────

/** `http.server.request.duration` in seconds → `http_server_request_duration_seconds`, as OpenTelemetry maps it. */
function prometheusName(name: string, unit: string): string {
  const base = name.replace(/[^a-zA-Z0-9_]/g, '_')
  return unit === 's' ? `${base}_seconds` : base
}

function labels(attributes: Attributes, extra: Record<string, string> = {}): string {
  const all = { ...attributes, ...extra }
  const pairs = Object.entries(all).map(
    ([key, value]) =>
      `${key.replace(/[^a-zA-Z0-9_]/g, '_')}="${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  )
  return pairs.length > 0 ? `{${pairs.join(',')}}` : ''
}

function prometheusText(histograms: Histogram[], gauges: Gauge[]): string {
  const lines: string[] = []
  for (const histogram of histograms) {
    const name = prometheusName(histogram.name, histogram.unit)
    lines.push(`# HELP ${name} ${histogram.description}`, `# TYPE ${name} histogram`)
    for (const point of histogram.points.values()) {
      let cumulative = 0
      histogram.bounds.forEach((bound, i) => {
        cumulative += point.counts[i] ?? 0
        lines.push(`${name}_bucket${labels(point.attributes, { le: String(bound) })} ${cumulative}`)
      })
      lines.push(`${name}_bucket${labels(point.attributes, { le: '+Inf' })} ${point.count}`)
      lines.push(`${name}_sum${labels(point.attributes)} ${point.sum}`)
      lines.push(`${name}_count${labels(point.attributes)} ${point.count}`)
    }
  }
  for (const gauge of gauges) {
    const name = prometheusName(gauge.name, gauge.unit)
    lines.push(`# HELP ${name} ${gauge.description}`, `# TYPE ${name} gauge`)
    for (const reading of gauge.read()) lines.push(`${name}${labels(reading.attributes)} ${reading.value}`)
  }
  return `${lines.join('\n')}\n`
}

// ─── OTLP (opentelemetry/proto/metrics/v1: cumulative histograms, integer gauges) ───────────────────────────────

const CUMULATIVE = 2

function otlpJson(histograms: Histogram[], gauges: Gauge[], origin: Origin, startTime: bigint): string {
  const now = String(nowUnixNano())
  const start = String(startTime)
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: jsonAttributes(origin.resource) },
        scopeMetrics: [
          {
            scope: origin.scope,
            metrics: [
              ...histograms.map((histogram) => ({
                name: histogram.name,
                description: histogram.description,
                unit: histogram.unit,
                histogram: {
                  aggregationTemporality: CUMULATIVE,
                  dataPoints: [...histogram.points.values()].map((point) => ({
                    attributes: jsonAttributes(point.attributes),
                    startTimeUnixNano: start,
                    timeUnixNano: now,
                    count: String(point.count),
                    sum: point.sum,
                    bucketCounts: point.counts.map(String),
                    explicitBounds: histogram.bounds,
                  })),
                },
              })),
              ...gauges.map((gauge) => ({
                name: gauge.name,
                description: gauge.description,
                unit: gauge.unit,
                gauge: {
                  dataPoints: gauge.read().map((reading) => ({
                    attributes: jsonAttributes(reading.attributes),
                    timeUnixNano: now,
                    asInt: String(reading.value),
                  })),
                },
              })),
            ],
          },
        ],
      },
    ],
  })
}

/** A packed repeated field of 8-byte values (fixed64 counts, double bounds). */
function packedField(
  out: Message,
  field: number,
  values: number[],
  write: (view: DataView, at: number, value: number) => void,
) {
  const view = new DataView(new ArrayBuffer(8 * values.length))
  values.forEach((value, i) => {
    write(view, 8 * i, value)
  })
  tag(out, field, 2)
  varint(out, view.byteLength)
  appendBytes(out, new Uint8Array(view.buffer))
}

/**
 * ExportMetricsServiceRequest { ResourceMetrics 1 }; ResourceMetrics { Resource 1; ScopeMetrics 2 };
 * ScopeMetrics { scope 1; Metric 2 }; Metric { name 1; description 2; unit 3; Gauge 5; Histogram 9 }.
 */
function otlpProtobuf(
  histograms: Histogram[],
  gauges: Gauge[],
  origin: Origin,
  startTime: bigint,
): Uint8Array<ArrayBuffer> {
  const now = nowUnixNano()
  const request = newMessage()
  messageField(request, 1, (resourceMetrics) => {
    messageField(resourceMetrics, 1, (resource) => attributesField(resource, 1, origin.resource))
    messageField(resourceMetrics, 2, (scopeMetrics) => {
      messageField(scopeMetrics, 1, (scope) => {
        stringField(scope, 1, origin.scope.name)
        stringField(scope, 2, origin.scope.version)
      })
      for (const histogram of histograms) {
        messageField(scopeMetrics, 2, (metric) => {
          stringField(metric, 1, histogram.name)
          stringField(metric, 2, histogram.description)
          stringField(metric, 3, histogram.unit)
          // Histogram { data_points 1; aggregation_temporality 2 }
          messageField(metric, 9, (data) => {
            for (const point of histogram.points.values()) {
              // HistogramDataPoint { start 2; time 3; count 4; sum 5; bucket_counts 6; explicit_bounds 7; attributes 9 }
              messageField(data, 1, (dataPoint) => {
                fixed64Field(dataPoint, 2, startTime)
                fixed64Field(dataPoint, 3, now)
                fixed64Field(dataPoint, 4, BigInt(point.count))
                doubleField(dataPoint, 5, point.sum)
                packedField(dataPoint, 6, point.counts, (view, at, value) =>
                  view.setBigUint64(at, BigInt(value), true),
                )
                packedField(dataPoint, 7, histogram.bounds, (view, at, value) =>
                  view.setFloat64(at, value, true),
                )
                attributesField(dataPoint, 9, point.attributes)
              })
            }
            tag(data, 2, 0)
            varint(data, CUMULATIVE)
          })
        })
      }
      for (const gauge of gauges) {
        messageField(scopeMetrics, 2, (metric) => {
          stringField(metric, 1, gauge.name)
          stringField(metric, 2, gauge.description)
          stringField(metric, 3, gauge.unit)
          // Gauge { data_points 1 }; NumberDataPoint { time 3; as_int 6 (sfixed64); attributes 7 }
          messageField(metric, 5, (data) => {
            for (const reading of gauge.read()) {
              messageField(data, 1, (dataPoint) => {
                fixed64Field(dataPoint, 3, now)
                fixed64Field(dataPoint, 6, BigInt.asUintN(64, BigInt(reading.value)))
                attributesField(dataPoint, 7, reading.attributes)
              })
            }
          })
        })
      }
    })
  })
  return finish(request)
}

/** Sends the metrics to `target` every `intervalMs`, and once more on `stop()`; failures are counted, never thrown. */
export function exportMetricsPeriodically(metrics: ServerMetrics, target: OtlpTarget, intervalMs: number) {
  let failures = 0
  const send = async () => {
    const json = target.protocol === 'http/json'
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { ...target.headers, 'content-type': json ? 'application/json' : 'application/x-protobuf' },
        body: json ? metrics.otlpJson() : metrics.otlpProtobuf(),
        signal: AbortSignal.timeout(target.timeoutMs),
      })
      await response.arrayBuffer()
      if (!response.ok) failures += 1
    } catch {
      failures += 1
    }
  }
  const timer = setInterval(() => void send(), intervalMs)
  timer.unref()
  return {
    failures: () => failures,
    async stop() {
      clearInterval(timer)
      await send()
    },
  }
}

/**
 * The driver's round trips observed for the metrics too: `observed` (the tracer's) still gets each one; the
 * histogram gets its duration, operation and whether it failed.
 */
export function withRoundTripMetrics(
  observed: ObservedRoundTrips | undefined,
  metrics: ServerMetrics | undefined,
): ObservedRoundTrips | undefined {
  if (!metrics) return observed
  return {
    queryText: observed?.queryText ?? false,
    observe: () => {
      const finishSpan = observed?.observe()
      const startedAt = performance.now()
      return (trip) => {
        finishSpan?.(trip)
        metrics.recordRoundTrip({
          operation: trip.operation,
          durationMs: performance.now() - startedAt,
          failed: trip.status === undefined || trip.status >= 400,
        })
      }
    },
  }
}

/** `GET /metrics` in Prometheus' text format on its own port (METRICS_PORT); anything else is a 404. */
export async function serveMetrics(
  metrics: ServerMetrics,
  port: number,
  hostname: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.url !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try /metrics\n')
      return
    }
    const body = metrics.prometheusText()
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
    response.end(request.method === 'HEAD' ? undefined : body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`METRICS_PORT ${port} is taken: choose another.`) : error,
      ),
    )
    server.listen(port, hostname, () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}/metrics`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
