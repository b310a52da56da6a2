/**
 * A real OTLP/HTTP receiver for tests: accepts POST /v1/traces (and /v1/metrics) as JSON or protobuf, decodes the
 * spans, and keeps every byte it was sent so that tests can search the raw exports for secrets.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Attributes = Record<string, string | number | boolean>

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string | undefined
  traceState: string | undefined
  name: string
  kind: number
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
  attributes: Attributes
  status: { code: number; message: string | undefined }
  resource: Attributes
  scope: string
}

/** One metric of one export: a histogram's points or a gauge's readings, decoded from either encoding. */
export interface ReceivedMetric {
  name: string
  unit: string
  kind: 'histogram' | 'gauge'
  temporality: number | undefined
  points: {
    attributes: Attributes
    count?: number
    sum?: number
    bucketCounts?: number[]
    explicitBounds?: number[]
    value?: number
  }[]
}

export interface ReceivedExport {
  path: string
  contentType: string
  headers: IncomingMessage['headers']
  body: Buffer
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  url: string
  exports: ReceivedExport[]
  spans(): ReceivedSpan[]
  /** Every metric of every metrics export, in the order received (later exports hold the cumulative totals). */
  metrics(): ReceivedMetric[]
  /** Resolves once spans matching `predicate` arrived (polling), or rejects after `timeoutMs`. */
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>
  /** Delay each answer by this many milliseconds (a slow collector). */
  delayMs: number
  close(): Promise<void>
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = []
  const pending = new Set<ReturnType<typeof setTimeout>>()
  const receiver: OtlpReceiver = {
    url: '',
    exports,
    delayMs: 0,
    spans: () => exports.filter((e) => e.path === '/v1/traces').flatMap(decodeTraces),
    metrics: () => exports.filter((e) => e.path === '/v1/metrics').flatMap(decodeMetrics),
    async waitForSpans(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const spans = receiver.spans()
        if (predicate(spans)) return spans
        if (Date.now() > deadline)
          throw new Error(
            `spans not received in ${timeoutMs} ms: ${JSON.stringify(spans.map((s) => s.name))}`,
          )
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const timer of pending) clearTimeout(timer)
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const answer = () => {
        const body = Buffer.concat(chunks)
        exports.push({
          path: request.url ?? '',
          contentType: request.headers['content-type'] ?? '',
          headers: request.headers,
          body,
        })
        const json = (request.headers['content-type'] ?? '').includes('json')
        response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
        response.end(json ? '{}' : '')
      }
      if (receiver.delayMs <= 0) return answer()
      const timer = setTimeout(() => {
        pending.delete(timer)
        answer()
      }, receiver.delayMs)
      pending.add(timer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return receiver
}

/** Every span of one export, whichever encoding it came in. */
export function decodeTraces(received: Pick<ReceivedExport, 'contentType' | 'body'>): ReceivedSpan[] {
  return received.contentType.includes('json')
    ? decodeTracesJson(JSON.parse(received.body.toString('utf8')))
    : decodeTracesProtobuf(received.body)
}

// ─── JSON ──────────────────────────────────────────────────────────────────────────────────────────────────────────

interface JsonKeyValue {
  key: string
  value: { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number }
}

function jsonAttributes(list: JsonKeyValue[] = []): Attributes {
  const attributes: Attributes = {}
  for (const { key, value } of list) {
    attributes[key] =
      value.stringValue ??
      value.boolValue ??
      (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue as number))
  }
  return attributes
}

// biome-ignore lint/suspicious/noExplicitAny: the decoded JSON of an export, checked field by field below.
function decodeTracesJson(body: any): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = jsonAttributes(resourceSpans.resource?.attributes)
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || undefined,
          traceState: span.traceState || undefined,
          name: span.name,
          kind: span.kind,
          startTimeUnixNano: BigInt(span.startTimeUnixNano),
          endTimeUnixNano: BigInt(span.endTimeUnixNano),
          attributes: jsonAttributes(span.attributes),
          status: { code: span.status?.code ?? 0, message: span.status?.message },
          resource,
          scope: scopeSpans.scope?.name,
        })
      }
    }
  }
  return spans
}

// ─── Protobuf: a schema-less reader of the wire format, then the OTLP trace messages by field number ─────────────

type Field = { field: number; wire: number; value: bigint | Buffer }

function readFields(buffer: Buffer): Field[] {
  const fields: Field[] = []
  let at = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = buffer[at++]
      if (byte === undefined) throw new Error('truncated varint')
      result |= BigInt(byte & 127) << shift
      if (byte < 128) return result
      shift += 7n
    }
  }
  while (at < buffer.length) {
    const key = Number(varint())
    const field = key >> 3
    const wire = key & 7
    if (wire === 0) fields.push({ field, wire, value: varint() })
    else if (wire === 1) {
      fields.push({ field, wire, value: buffer.readBigUInt64LE(at) })
      at += 8
    } else if (wire === 2) {
      const length = Number(varint())
      fields.push({ field, wire, value: buffer.subarray(at, at + length) })
      at += length
      if (at > buffer.length) throw new Error('truncated field')
    } else if (wire === 5) {
      fields.push({ field, wire, value: BigInt(buffer.readUInt32LE(at)) })
      at += 4
    } else throw new Error(`unexpected wire type ${wire}`)
  }
  return fields
}

const messages = (fields: Field[], number: number) =>
  fields.filter((f) => f.field === number).map((f) => readFields(f.value as Buffer))
const bytesOf = (fields: Field[], number: number) =>
  fields.find((f) => f.field === number)?.value as Buffer | undefined
const textOf = (fields: Field[], number: number) => bytesOf(fields, number)?.toString('utf8')
const numberOf = (fields: Field[], number: number) =>
  fields.find((f) => f.field === number)?.value as bigint | undefined

/** KeyValue { key 1; AnyValue value 2 }; AnyValue { string 1; bool 2; int64 3; double 4 }. */
function protobufAttributes(list: Field[][]): Attributes {
  const attributes: Attributes = {}
  for (const keyValue of list) {
    const [any = []] = messages(keyValue, 2)
    const [value] = any
    const key = textOf(keyValue, 1) ?? ''
    if (!value) continue
    if (value.field === 1) attributes[key] = (value.value as Buffer).toString('utf8')
    else if (value.field === 2) attributes[key] = value.value === 1n
    else if (value.field === 3) attributes[key] = Number(BigInt.asIntN(64, value.value as bigint))
    else if (value.field === 4) {
      const double = Buffer.alloc(8)
      double.writeBigUInt64LE(value.value as bigint)
      attributes[key] = double.readDoubleLE(0)
    }
  }
  return attributes
}

function decodeTracesProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  for (const resourceSpans of messages(readFields(body), 1)) {
    const [resource = []] = messages(resourceSpans, 1)
    const resourceAttributes = protobufAttributes(messages(resource, 1))
    for (const scopeSpans of messages(resourceSpans, 2)) {
      const [scope = []] = messages(scopeSpans, 1)
      for (const span of messages(scopeSpans, 2)) {
        const [status = []] = messages(span, 15)
        spans.push({
          traceId: bytesOf(span, 1)?.toString('hex') ?? '',
          spanId: bytesOf(span, 2)?.toString('hex') ?? '',
          traceState: textOf(span, 3) || undefined,
          parentSpanId: bytesOf(span, 4)?.toString('hex') || undefined,
          name: textOf(span, 5) ?? '',
          kind: Number(numberOf(span, 6) ?? 0n),
          startTimeUnixNano: numberOf(span, 7) ?? 0n,
          endTimeUnixNano: numberOf(span, 8) ?? 0n,
          attributes: protobufAttributes(messages(span, 9)),
          status: { code: Number(numberOf(status, 3) ?? 0n), message: textOf(status, 2) },
          resource: resourceAttributes,
          scope: textOf(scope, 1) ?? '',
        })
      }
    }
  }
  return spans
}

// ─── Metrics ───────────────────────────────────────────────────────────────────────────────────────────────────────

/** Every metric of one metrics export, whichever encoding it came in. */
export function decodeMetrics(received: Pick<ReceivedExport, 'contentType' | 'body'>): ReceivedMetric[] {
  return received.contentType.includes('json')
    ? decodeMetricsJson(JSON.parse(received.body.toString('utf8')))
    : decodeMetricsProtobuf(received.body)
}

// biome-ignore lint/suspicious/noExplicitAny: the decoded JSON of an export, read field by field.
function decodeMetricsJson(body: any): ReceivedMetric[] {
  const metrics: ReceivedMetric[] = []
  for (const resourceMetrics of body.resourceMetrics ?? []) {
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      for (const metric of scopeMetrics.metrics ?? []) {
        const histogram = metric.histogram
        metrics.push({
          name: metric.name,
          unit: metric.unit,
          kind: histogram ? 'histogram' : 'gauge',
          temporality: histogram?.aggregationTemporality,
          // biome-ignore lint/suspicious/noExplicitAny: as above.
          points: (histogram ?? metric.gauge).dataPoints.map((point: any) => ({
            attributes: jsonAttributes(point.attributes),
            ...(histogram
              ? {
                  count: Number(point.count),
                  sum: point.sum,
                  bucketCounts: point.bucketCounts.map(Number),
                  explicitBounds: point.explicitBounds,
                }
              : { value: Number(point.asInt ?? point.asDouble) }),
          })),
        })
      }
    }
  }
  return metrics
}

/** Metric { name 1; unit 3; gauge 5; histogram 9 }: the field numbers of opentelemetry/proto/metrics/v1. */
function decodeMetricsProtobuf(body: Buffer): ReceivedMetric[] {
  const metrics: ReceivedMetric[] = []
  const packed = (buffer: Buffer | undefined, read: (at: number) => number) =>
    buffer ? Array.from({ length: buffer.length / 8 }, (_, i) => read(8 * i)) : []
  for (const resourceMetrics of messages(readFields(body), 1)) {
    for (const scopeMetrics of messages(resourceMetrics, 2)) {
      for (const metric of messages(scopeMetrics, 2)) {
        const [histogram] = messages(metric, 9)
        const [gauge] = messages(metric, 5)
        const data = histogram ?? gauge ?? []
        metrics.push({
          name: textOf(metric, 1) ?? '',
          unit: textOf(metric, 3) ?? '',
          kind: histogram ? 'histogram' : 'gauge',
          temporality: histogram ? Number(numberOf(histogram, 2) ?? 0n) : undefined,
          points: messages(data, 1).map((point) => {
            if (!histogram) {
              return {
                attributes: protobufAttributes(messages(point, 7)),
                value: Number(BigInt.asIntN(64, numberOf(point, 6) ?? 0n)),
              }
            }
            const sum = Buffer.alloc(8)
            sum.writeBigUInt64LE(numberOf(point, 5) ?? 0n)
            const counts = bytesOf(point, 6)
            const bounds = bytesOf(point, 7)
            return {
              attributes: protobufAttributes(messages(point, 9)),
              count: Number(numberOf(point, 4) ?? 0n),
              sum: sum.readDoubleLE(0),
              bucketCounts: packed(counts, (at) => Number((counts as Buffer).readBigUInt64LE(at))),
              explicitBounds: packed(bounds, (at) => (bounds as Buffer).readDoubleLE(at)),
            }
          }),
        })
      }
    }
  }
  return metrics
}
