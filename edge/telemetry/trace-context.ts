/** W3C Trace Context: reading a caller's `traceparent`/`tracestate`, and making new trace and span ids. */

/** Where a span sits in its trace: the ids, hex as in the `traceparent` header. */
export interface SpanContext {
  traceId: string
  spanId: string
  /** The caller's `sampled` flag (bit 0 of trace-flags), or ours for spans we start. */
  sampled: boolean
  /** The caller's `tracestate`, passed on untouched (vendors keep their own state in it). */
  traceState?: string
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/

/**
 * The caller's span from `traceparent`, or undefined when absent or invalid (a new trace then starts). Version ff,
 * all-zero ids and, for version 00, anything after the flags are invalid, as the W3C recommendation says.
 */
export function parseTraceParent(
  traceParent: string | null,
  traceState: string | null,
): SpanContext | undefined {
  const match = traceParent ? TRACEPARENT.exec(traceParent.trim()) : null
  if (!match) return undefined
  const [, version, traceId = '', spanId = '', flags = '00', rest] = match
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined
  const state = traceState?.trim()
  return {
    traceId,
    spanId,
    sampled: (Number.parseInt(flags, 16) & 1) === 1,
    ...(state && state.length <= 512 ? { traceState: state } : {}),
  }
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))
/** Random bytes drawn 4 KiB at a time: one `getRandomValues` call per id cost ~14 µs on Node. */
const pool = new Uint8Array(4096)
let used = pool.length

/** A random id of `bytes` bytes, hex; never all zeros. */
export function randomId(bytes: 16 | 8): string {
  if (used + bytes > pool.length) {
    crypto.getRandomValues(pool)
    used = 0
  }
  let hex = ''
  let zero = true
  for (let i = used; i < used + bytes; i++) {
    const byte = pool[i] as number
    if (byte !== 0) zero = false
    hex += HEX[byte]
  }
  used += bytes
  return zero ? randomId(bytes) : hex
}

/**
 * Hands `context` on to what runs behind us, as W3C headers: our `traceparent`, and the `tracestate` we continued
 * (a caller's state we did not accept is removed with it, so the two always describe the same trace).
 */
export function setTraceContextHeaders(headers: Headers, context: SpanContext): void {
  headers.set('traceparent', `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`)
  if (context.traceState) headers.set('tracestate', context.traceState)
  else headers.delete('tracestate')
}
