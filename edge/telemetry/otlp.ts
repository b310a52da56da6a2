/**
 * OTLP/HTTP request bodies for spans (ExportTraceServiceRequest), as JSON or protobuf: a hand encoder of the few
 * messages we send, so that no protobuf library weighs on the edge bundle (decision 0035).
 */
import type { TelemetryConfig } from './env'
import type { AttributeValue, SpanRecord } from './span'

/** Who sent the spans: the resource (service.name and the rest) and the instrumentation scope. */
export interface Origin {
  resource: Record<string, AttributeValue>
  scope: { name: string; version: string }
}

/** The resource and scope of everything this process exports. */
export function originOf(config: Pick<TelemetryConfig, 'serviceName' | 'resourceAttributes'>): Origin {
  return {
    resource: {
      'service.name': config.serviceName,
      ...config.resourceAttributes,
      'telemetry.sdk.name': 'edgeline',
      'telemetry.sdk.language': 'webjs',
    },
    scope: { name: 'edgeline', version: '1' },
  }
}

// ─── JSON (the OTLP/JSON mapping: ids as hex, enums as numbers, 64-bit integers as decimal strings) ─────────────

export function jsonAttributes(attributes: Record<string, AttributeValue>) {
  return Object.entries(attributes).map(([key, value]) => ({
    key,
    value:
      typeof value === 'string'
        ? { stringValue: value }
        : typeof value === 'boolean'
          ? { boolValue: value }
          : Number.isInteger(value)
            ? { intValue: String(value) }
            : { doubleValue: value },
  }))
}

export function encodeTracesJson(spans: readonly SpanRecord[], origin: Origin): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: jsonAttributes(origin.resource) },
        scopeSpans: [
          {
            scope: origin.scope,
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              ...(span.traceState ? { traceState: span.traceState } : {}),
              name: span.name,
              kind: span.kind,
              startTimeUnixNano: String(span.startTimeUnixNano),
              endTimeUnixNano: String(span.endTimeUnixNano),
              attributes: jsonAttributes(span.attributes),
              status: span.status,
            })),
          },
        ],
      },
    ],
  })
}

// ─── Protobuf (opentelemetry/proto/collector/trace/v1, field numbers from the .proto files) ───────────────────────

const text = new TextEncoder()

/**
 * A message being written, as pieces: byte arrays we fill, and byte strings (nested messages, text) appended by
 * reference. Each byte is copied once, into the final buffer; copying nested messages into their parents cost
 * ~100 µs per span. The primitives below also serve the production server's metrics.
 */
export interface Message {
  pieces: (number[] | Uint8Array)[]
  /** The piece being filled byte by byte. */
  bytes: number[]
}

export function newMessage(): Message {
  const bytes: number[] = []
  return { pieces: [bytes], bytes }
}

/** Appends `bytes` without copying them. */
export function appendBytes(out: Message, bytes: Uint8Array | number[]): void {
  out.pieces.push(bytes)
  out.bytes = []
  out.pieces.push(out.bytes)
}

function sizeOf(message: Message): number {
  let size = 0
  for (const piece of message.pieces) size += piece.length
  return size
}

/** The message's bytes, in one buffer. */
export function finish(message: Message): Uint8Array<ArrayBuffer> {
  const buffer = new Uint8Array(sizeOf(message))
  let offset = 0
  for (const piece of message.pieces) {
    buffer.set(piece, offset)
    offset += piece.length
  }
  return buffer
}

export function varint(out: Message, value: number | bigint): void {
  const bytes = out.bytes
  // Numbers (tags, lengths, enums, counts) without BigInt, which costs ~100× more per byte.
  if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
    let v = value
    while (v > 127) {
      bytes.push((v % 128) | 128)
      v = Math.floor(v / 128)
    }
    bytes.push(v)
    return
  }
  let v = BigInt.asUintN(64, BigInt(value))
  while (v > 127n) {
    bytes.push(Number(v & 127n) | 128)
    v >>= 7n
  }
  bytes.push(Number(v))
}

export function tag(out: Message, field: number, wireType: number): void {
  varint(out, (field << 3) | wireType)
}

export function bytesField(out: Message, field: number, bytes: Uint8Array | number[]): void {
  tag(out, field, 2)
  varint(out, bytes.length)
  appendBytes(out, bytes)
}

/** UTF-8 of the strings every span repeats (attribute keys, names, routes), encoded once. */
const encoded = new Map<string, Uint8Array>()

function utf8(value: string): Uint8Array {
  let bytes = encoded.get(value)
  if (bytes) return bytes
  bytes = text.encode(value)
  // Bounded: ids and paths vary without end, and are simply encoded each time once it is full.
  if (encoded.size < 512) encoded.set(value, bytes)
  return bytes
}

export function stringField(out: Message, field: number, value: string | undefined): void {
  if (value) bytesField(out, field, utf8(value))
}

function hexField(out: Message, field: number, hex: string | undefined): void {
  if (!hex) return
  const bytes: number[] = []
  for (let i = 0; i < hex.length; i += 2) bytes.push(Number.parseInt(hex.slice(i, i + 2), 16))
  bytesField(out, field, bytes)
}

const scratch = new DataView(new ArrayBuffer(8))

/** 8 bytes, little-endian: fixed64 and double fields. */
function pushScratch(out: Message): void {
  for (let i = 0; i < 8; i++) out.bytes.push(scratch.getUint8(i))
}

export function fixed64Field(out: Message, field: number, value: bigint): void {
  tag(out, field, 1)
  scratch.setBigUint64(0, BigInt.asUintN(64, value), true)
  pushScratch(out)
}

export function doubleField(out: Message, field: number, value: number): void {
  tag(out, field, 1)
  scratch.setFloat64(0, value, true)
  pushScratch(out)
}

export function messageField(out: Message, field: number, write: (message: Message) => void): void {
  const message = newMessage()
  write(message)
  tag(out, field, 2)
  varint(out, sizeOf(message))
  for (const piece of message.pieces) out.pieces.push(piece)
  out.bytes = []
  out.pieces.push(out.bytes)
}

/** Bytes of `value` as a varint. */
function varintSize(value: number): number {
  let size = 1
  for (let v = value; v > 127; v = Math.floor(v / 128)) size += 1
  return size
}

/**
 * KeyValue { key = 1; AnyValue value = 2 }; AnyValue { string 1, bool 2, int64 3, double 4 }. Written flat, their
 * lengths computed rather than measured from nested messages: attributes are most of a span's fields.
 */
export function attributesField(
  out: Message,
  field: number,
  attributes: Record<string, AttributeValue>,
): void {
  for (const key in attributes) {
    const value = attributes[key] as AttributeValue
    const keyBytes = utf8(key)
    const text = typeof value === 'string' ? utf8(value) : undefined
    // int64: a negative value is its two's complement, ten bytes of varint (the BigInt path of varint).
    const number = typeof value === 'number' ? value : 0
    const integer = typeof value === 'number' && Number.isInteger(value)
    const anySize = text
      ? 1 + varintSize(text.length) + text.length
      : typeof value === 'boolean'
        ? 2
        : integer
          ? 1 + (number < 0 ? 10 : varintSize(number))
          : 9
    tag(out, field, 2)
    varint(out, 1 + varintSize(keyBytes.length) + keyBytes.length + 1 + varintSize(anySize) + anySize)
    bytesField(out, 1, keyBytes)
    tag(out, 2, 2)
    varint(out, anySize)
    if (text) bytesField(out, 1, text)
    else if (typeof value === 'boolean') {
      tag(out, 2, 0)
      varint(out, value ? 1 : 0)
    } else if (integer) {
      tag(out, 3, 0)
      varint(out, number < 0 ? BigInt(number) : number)
    } else doubleField(out, 4, number)
  }
}

/**
 * ExportTraceServiceRequest { ResourceSpans resource_spans = 1 }; ResourceSpans { Resource resource = 1;
 * ScopeSpans scope_spans = 2 }; ScopeSpans { InstrumentationScope scope = 1; Span spans = 2 }.
 */
export function encodeTracesProtobuf(spans: readonly SpanRecord[], origin: Origin): Uint8Array<ArrayBuffer> {
  const request = newMessage()
  messageField(request, 1, (resourceSpans) => {
    messageField(resourceSpans, 1, (resource) => attributesField(resource, 1, origin.resource))
    messageField(resourceSpans, 2, (scopeSpans) => {
      messageField(scopeSpans, 1, (scope) => {
        stringField(scope, 1, origin.scope.name)
        stringField(scope, 2, origin.scope.version)
      })
      for (const span of spans) messageField(scopeSpans, 2, (message) => writeSpan(message, span))
    })
  })
  return finish(request)
}

/** Span { trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5, kind 6, start 7, end 8, attributes 9, status 15 }. */
function writeSpan(out: Message, span: SpanRecord): void {
  hexField(out, 1, span.traceId)
  hexField(out, 2, span.spanId)
  stringField(out, 3, span.traceState)
  hexField(out, 4, span.parentSpanId)
  stringField(out, 5, span.name)
  tag(out, 6, 0)
  varint(out, span.kind)
  fixed64Field(out, 7, span.startTimeUnixNano)
  fixed64Field(out, 8, span.endTimeUnixNano)
  attributesField(out, 9, span.attributes)
  // Status { message = 2; code = 3 }
  messageField(out, 15, (status) => {
    stringField(status, 2, span.status.message)
    if (span.status.code) {
      tag(status, 3, 0)
      varint(status, span.status.code)
    }
  })
}
