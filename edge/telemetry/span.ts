/** The span as this app records it: OpenTelemetry's data model, only the fields we fill. */

export type AttributeValue = string | number | boolean

/** OpenTelemetry's SpanKind numbers, as OTLP carries them. */
export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const

/** OTLP status codes: unset, ok, error. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const

/** A finished span, ready to export. Times are Unix epoch nanoseconds. */
export interface SpanRecord {
  traceId: string
  spanId: string
  parentSpanId?: string
  traceState?: string
  name: string
  kind: (typeof SpanKind)[keyof typeof SpanKind]
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
  attributes: Record<string, AttributeValue>
  status: { code: (typeof StatusCode)[keyof typeof StatusCode]; message?: string }
}

/** Now, as Unix epoch nanoseconds: microsecond precision where the runtime's clock has it. */
export function nowUnixNano(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n
}
