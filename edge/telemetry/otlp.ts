/**
 * OTLP/HTTP request bodies for spans (ExportTraceServiceRequest), as JSON or protobuf: a hand encoder of the few
 * messages we send, so that no protobuf library weighs on the edge bundle (decision 0035).
 */
import type { AttributeValue, SpanRecord } from './span'

/** Who sent the spans: the resource (service.name and the rest) and the instrumentation scope. */
export interface Origin {
  resource: Record<string, AttributeValue>
  scope: { name: string; version: string }
}

// ─── JSON (the OTLP/JSON mapping: ids as hex, enums as numbers, 64-bit integers as decimal strings) ─────────────

function jsonAttributes(attributes: Record<string, AttributeValue>) {
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

/** A message being written: its bytes, as chunks joined at the end. */
type Message = number[]

function varint(out: Message, value: number | bigint): void {
  let v = BigInt(value)
  while (v > 127n) {
    out.push(Number(v & 127n) | 128)
    v >>= 7n
  }
  out.push(Number(v))
}

function tag(out: Message, field: number, wireType: number): void {
  varint(out, (field << 3) | wireType)
}

function bytesField(out: Message, field: number, bytes: ArrayLike<number>): void {
  tag(out, field, 2)
  varint(out, bytes.length)
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i] as number)
}

function stringField(out: Message, field: number, value: string | undefined): void {
  if (value) bytesField(out, field, text.encode(value))
}

function hexField(out: Message, field: number, hex: string | undefined): void {
  if (!hex) return
  const bytes: number[] = []
  for (let i = 0; i < hex.length; i += 2) bytes.push(Number.parseInt(hex.slice(i, i + 2), 16))
  bytesField(out, field, bytes)
}

function fixed64Field(out: Message, field: number, value: bigint): void {
  tag(out, field, 1)
  for (let i = 0n; i < 8n; i++) out.push(Number((value >> (8n * i)) & 255n))
}

function messageField(out: Message, field: number, write: (message: Message) => void): void {
  const message: Message = []
  write(message)
  bytesField(out, field, message)
}

/** KeyValue { key = 1; AnyValue value = 2 }; AnyValue { string 1, bool 2, int64 3, double 4 }. */
function attributesField(out: Message, field: number, attributes: Record<string, AttributeValue>): void {
  for (const [key, value] of Object.entries(attributes)) {
    messageField(out, field, (keyValue) => {
      stringField(keyValue, 1, key)
      messageField(keyValue, 2, (any) => {
        if (typeof value === 'string') bytesField(any, 1, text.encode(value))
        else if (typeof value === 'boolean') {
          tag(any, 2, 0)
          varint(any, value ? 1 : 0)
        } else if (Number.isInteger(value)) {
          tag(any, 3, 0)
          // int64: a negative value is its two's complement, ten bytes of varint.
          varint(any, BigInt.asUintN(64, BigInt(value)))
        } else {
          tag(any, 4, 1)
          const double = new DataView(new ArrayBuffer(8))
          double.setFloat64(0, value, true)
          for (let i = 0; i < 8; i++) any.push(double.getUint8(i))
        }
      })
    })
  }
}

/**
 * ExportTraceServiceRequest { ResourceSpans resource_spans = 1 }; ResourceSpans { Resource resource = 1;
 * ScopeSpans scope_spans = 2 }; ScopeSpans { InstrumentationScope scope = 1; Span spans = 2 }.
 */
export function encodeTracesProtobuf(spans: readonly SpanRecord[], origin: Origin): Uint8Array<ArrayBuffer> {
  const request: Message = []
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
  return Uint8Array.from(request)
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
