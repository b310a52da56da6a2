/**
 * A small tracer in OpenTelemetry's model: spans with W3C ids, a sampler, a bounded queue and an OTLP/HTTP exporter
 * over `fetch`. Web APIs only, so the same code traces the edge functions, Workers and the production server.
 */
import type { ObservedRoundTrips } from '../../db/round-trips'
import type { OtlpTarget, SamplerConfig, TelemetryConfig } from './env'
import { encodeTracesJson, encodeTracesProtobuf, type Origin, originOf } from './otlp'
import { type AttributeValue, nowUnixNano, SpanKind, type SpanRecord, StatusCode } from './span'
import { parseTraceParent, randomId, type SpanContext } from './trace-context'

/** A span being recorded. Unsampled spans exist too (their ids go into logs and headers) but are never exported. */
export interface ActiveSpan {
  context: SpanContext
  record: SpanRecord
}

/** The part of `AsyncLocalStorage` the tracer uses: which span is current in this async flow. */
export interface SpanStorage {
  run<R>(span: ActiveSpan, fn: () => R): R
  getStore(): ActiveSpan | undefined
}

/** What a platform offers to keep work going after the answer is sent (`waitUntil`, Next's `after`). */
export type WaitUntil = (work: Promise<unknown>) => void

export interface TracerStats {
  /** Spans the collector accepted. */
  exported: number
  /** Spans lost: the queue was full, or the collector failed, refused or was too slow. */
  dropped: number
}

export interface Tracer {
  /** The server span of a request, continuing the caller's `traceparent` when there is a valid one. */
  startServerSpan(method: string, headers: Headers): ActiveSpan
  /** A child of `parent` (or of the current span); undefined when there is neither. */
  startSpan(
    name: string,
    kind: SpanRecord['kind'],
    attributes?: Record<string, AttributeValue>,
    parent?: ActiveSpan,
  ): ActiveSpan | undefined
  /** Ends a span: it is queued for export when sampled, or dropped and counted when the queue is full. */
  end(span: ActiveSpan, attributes?: Record<string, AttributeValue>, error?: string): void
  /** Runs `fn` with `span` current, so that spans started anywhere below (the database's) are its children. */
  run<R>(span: ActiveSpan, fn: () => R): R
  /** Exports what is queued after the answer: with `waitUntil` when the platform has it, else on a timer. */
  exportLater(waitUntil: WaitUntil | undefined): void
  /** Exports everything queued now (SIGTERM, tests); resolves when sent or given up, never rejects. */
  flush(): Promise<void>
  /** The driver's round trips as CLIENT spans of the current span (db/round-trips.ts, createDatabase). */
  roundTrips: ObservedRoundTrips
  stats(): TracerStats
  /** True where spans go out in timed batches (Node): the platform's `waitUntil` is then not looked for. */
  readonly batches: boolean
}

/** OpenTelemetry's default batch size: one export carries at most this many spans. */
const MAX_EXPORT_BATCH = 512
/** Exports in flight at once; past it spans wait in the queue (and are dropped when it is full). */
const MAX_CONCURRENT_EXPORTS = 2
/** At most one "spans dropped" line per this many milliseconds, so a dead collector cannot flood the log. */
const DROP_REPORT_INTERVAL_MS = 10_000

export interface TracerOptions {
  /** Which span is current; `globalThis.AsyncLocalStorage` when omitted (Next's edge runtime has it). */
  storage?: SpanStorage
  /**
   * Export in timed batches, never through a `waitUntil` (a long-lived server). Asking Hono for an execution context
   * that is not there throws, and an Error per request cost ~7 µs of the server's CPU.
   */
  batches?: boolean
  /** Where a "spans dropped" line goes; a JSON line on stderr when omitted. */
  warn?: (entry: Record<string, unknown>) => void
}

/** The tracer for `config`, or undefined when tracing is off: nothing is then installed anywhere. */
export function createTracer(config: TelemetryConfig, options: TracerOptions = {}): Tracer | undefined {
  const target = config.traces
  if (!target) return undefined
  const storage = options.storage ?? defaultStorage()
  const warn = options.warn ?? ((entry) => console.warn(JSON.stringify(entry)))
  const origin = originOf(config)
  const queue: SpanRecord[] = []
  const inFlight = new Set<Promise<void>>()
  const stats: TracerStats = { exported: 0, dropped: 0 }
  let timer: ReturnType<typeof setTimeout> | undefined
  let lastDropReport = Number.NEGATIVE_INFINITY
  let droppedSinceReport = 0

  function drop(count: number, reason: string): void {
    stats.dropped += count
    droppedSinceReport += count
    const now = Date.now()
    if (now - lastDropReport < DROP_REPORT_INTERVAL_MS) return
    lastDropReport = now
    warn({
      level: 'warn',
      time: new Date(now).toISOString(),
      msg: 'spans dropped',
      count: droppedSinceReport,
      total: stats.dropped,
      reason,
    })
    droppedSinceReport = 0
  }

  function newSpan(
    name: string,
    kind: SpanRecord['kind'],
    context: SpanContext,
    parentSpanId: string | undefined,
    attributes: Record<string, AttributeValue>,
  ): ActiveSpan {
    return {
      context,
      record: {
        traceId: context.traceId,
        spanId: context.spanId,
        ...(parentSpanId ? { parentSpanId } : {}),
        ...(context.traceState ? { traceState: context.traceState } : {}),
        name,
        kind,
        startTimeUnixNano: nowUnixNano(),
        endTimeUnixNano: 0n,
        attributes,
        status: { code: StatusCode.UNSET },
      },
    }
  }

  function sendBatch(): void {
    const batch = queue.splice(0, MAX_EXPORT_BATCH)
    const sending = exportSpans(target as OtlpTarget, batch, origin).then((outcome) => {
      if (outcome === 'ok') stats.exported += batch.length
      else drop(batch.length, outcome)
    })
    const tracked = sending.finally(() => {
      inFlight.delete(tracked)
      // What waited for a free slot goes out with the next timer, rather than with some later request.
      if (queue.length > 0) schedule()
    })
    inFlight.add(tracked)
  }

  function schedule(): void {
    if (timer !== undefined) return
    timer = setTimeout(() => void sendQueued(), config.exportDelayMs)
    // A pending export must not keep a Node process alive on its own (unref exists on Node's timers only).
    ;(timer as { unref?: () => void }).unref?.()
  }

  function sendQueued(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    while (queue.length > 0 && inFlight.size < MAX_CONCURRENT_EXPORTS) sendBatch()
    return Promise.all(inFlight).then(() => undefined)
  }

  const tracer: Tracer = {
    startServerSpan(method, headers) {
      const parent = parseTraceParent(headers.get('traceparent'), headers.get('tracestate'))
      const context: SpanContext = {
        traceId: parent?.traceId ?? randomId(16),
        spanId: randomId(8),
        sampled: false,
        ...(parent?.traceState ? { traceState: parent.traceState } : {}),
      }
      context.sampled = decide(config.sampler, parent, context.traceId)
      return newSpan(method, SpanKind.SERVER, context, parent?.spanId, { 'http.request.method': method })
    },
    startSpan(name, kind, attributes = {}, parent = storage?.getStore()) {
      if (!parent) return undefined
      const context = { ...parent.context, spanId: randomId(8) }
      return newSpan(name, kind, context, parent.context.spanId, attributes)
    },
    end(span, attributes, error) {
      const { record } = span
      record.endTimeUnixNano = nowUnixNano()
      if (attributes) Object.assign(record.attributes, attributes)
      if (error !== undefined) record.status = { code: StatusCode.ERROR, message: error }
      if (!span.context.sampled) return
      if (queue.length >= config.maxQueuedSpans) return drop(1, 'queue full')
      queue.push(record)
    },
    run: (span, fn) => (storage ? storage.run(span, fn) : fn()),
    exportLater(waitUntil) {
      if (queue.length === 0) return
      if (waitUntil) return waitUntil(sendQueued())
      if (queue.length >= MAX_EXPORT_BATCH) return void sendQueued()
      schedule()
    },
    async flush() {
      while (queue.length > 0 || inFlight.size > 0) await sendQueued()
    },
    roundTrips: {
      queryText: config.databaseQueryText,
      observe: () => {
        const parent = storage?.getStore()
        if (!parent?.context.sampled) return undefined
        const span = tracer.startSpan(
          'postgresql',
          SpanKind.CLIENT,
          { 'db.system.name': 'postgresql' },
          parent,
        )
        if (!span) return undefined
        return (trip) => {
          const attributes: Record<string, AttributeValue> = {
            'db.operation.name': trip.operation,
            'server.address': trip.server.hostname,
            ...(trip.server.port ? { 'server.port': Number(trip.server.port) } : {}),
            ...(trip.statements > 1 ? { 'db.operation.batch.size': trip.statements } : {}),
            ...(trip.queryText !== undefined ? { 'db.query.text': trip.queryText } : {}),
            ...(trip.status !== undefined ? { 'http.response.status_code': trip.status } : {}),
          }
          span.record.name = trip.operation
          const failed =
            trip.status === undefined ? 'no answer' : trip.status >= 400 ? `HTTP ${trip.status}` : undefined
          tracer.end(span, attributes, failed)
        }
      },
    },
    stats: () => ({ ...stats }),
    batches: options.batches ?? false,
  }
  return tracer
}

/** OpenTelemetry's samplers: a parent's decision when parent-based and there is one, else a share of trace ids. */
function decide(sampler: SamplerConfig, parent: SpanContext | undefined, traceId: string): boolean {
  if (sampler.parentBased && parent) return parent.sampled
  if (sampler.ratio >= 1) return true
  if (sampler.ratio <= 0) return false
  // As TraceIdRatioBased: the trace id's low bits against the ratio, so every service decides alike for one trace.
  return Number.parseInt(traceId.slice(-8), 16) / 0x1_0000_0000 < sampler.ratio
}

/** One POST to the collector within its deadline; the outcome, never an exception. */
async function exportSpans(target: OtlpTarget, spans: SpanRecord[], origin: Origin): Promise<string> {
  const json = target.protocol === 'http/json'
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { ...target.headers, 'content-type': json ? 'application/json' : 'application/x-protobuf' },
      body: json ? encodeTracesJson(spans, origin) : encodeTracesProtobuf(spans, origin),
      signal: AbortSignal.timeout(target.timeoutMs),
    })
    // Read to the end, so the connection can be reused.
    await response.arrayBuffer()
    return response.ok ? 'ok' : `collector answered ${response.status}`
  } catch (error) {
    return error instanceof Error && error.name === 'TimeoutError'
      ? 'collector too slow'
      : 'collector unreachable'
  }
}

function defaultStorage(): SpanStorage | undefined {
  const AsyncLocalStorage = (globalThis as { AsyncLocalStorage?: new () => SpanStorage }).AsyncLocalStorage
  return AsyncLocalStorage ? new AsyncLocalStorage() : undefined
}
