/**
 * The middleware traced, as Next runs it with OTEL_EXPORTER_OTLP_ENDPOINT set: a span per request, continuing the
 * caller's trace and handed to the function behind it, exported to a real OTLP/HTTP receiver through the event's
 * waitUntil. Built app end to end: test/e2e/tracing.test.ts.
 */
import { NextRequest } from 'next/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenService } from '../../edge/auth/tokens'
import { readConfig } from '../../edge/env'
import { parseTraceParent } from '../../edge/telemetry/trace-context'
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver'

const BASE = 'http://localhost:3000'
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'
const tokens = createTokenService(readConfig().auth)

let receiver: OtlpReceiver
let middleware: typeof import('../../middleware').middleware
beforeAll(async () => {
  receiver = await startOtlpReceiver()
  // middleware.ts reads OpenTelemetry's variables once, when it is loaded: this file's own copy of it.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json'
  ;({ middleware } = await import('../../middleware'))
})
afterAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL
  await receiver?.close()
})

/** Calls the middleware as Next does, with a fetch event; resolves once the work it left for after the answer is done. */
async function callMiddleware(path: string, headers: Record<string, string> = {}) {
  const pending: Promise<unknown>[] = []
  const response = await middleware(new NextRequest(new URL(path, BASE), { headers }), {
    waitUntil: (work) => pending.push(work),
  })
  return { response, afterAnswer: Promise.all(pending), exportsLeft: pending.length }
}

/** The request headers Next forwards after `NextResponse.next({ request: { headers } })`. */
function forwarded(response: Response, name: string): string | null {
  expect(response.headers.get('x-middleware-next')).toBe('1')
  const names = (response.headers.get('x-middleware-override-headers') ?? '').split(',')
  return names.includes(name) ? response.headers.get(`x-middleware-request-${name}`) : null
}

const spanOf = (traceId: string) =>
  receiver.spans().find((span) => span.traceId === traceId && span.name === 'middleware') as ReceivedSpan

describe('middleware.ts traced', () => {
  it('continues the caller’s trace and hands its own span to the function behind as traceparent', async () => {
    const token = await tokens.signAccessToken({ userId: '42', role: 'user' })
    const { response, afterAnswer, exportsLeft } = await callMiddleware('/api/users?limit=1', {
      authorization: `Bearer ${token}`,
      traceparent: `00-${TRACE}-${CALLER_SPAN}-01`,
      tracestate: 'caller=1',
    })
    // The export was left to the platform, for after the answer.
    expect(exportsLeft).toBe(1)
    await afterAnswer
    const span = spanOf(TRACE)
    expect(span).toMatchObject({
      kind: 2,
      parentSpanId: CALLER_SPAN,
      traceState: 'caller=1',
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/api/users',
        'edgeline.middleware.decision': 'continue',
      },
    })
    expect(span.attributes['http.response.status_code']).toBeUndefined()
    // The function behind continues from the middleware's span, not from the client's.
    expect(parseTraceParent(forwarded(response, 'traceparent'), forwarded(response, 'tracestate'))).toEqual({
      traceId: TRACE,
      spanId: span.spanId,
      sampled: true,
      traceState: 'caller=1',
    })
  })

  it('traces a refused request too, and its answer says the trace id', async () => {
    const { response, afterAnswer } = await callMiddleware('/api/users', { authorization: 'Bearer forged' })
    expect(response.status).toBe(401)
    const traceId = response.headers.get('x-trace-id') ?? ''
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    await afterAnswer
    expect(spanOf(traceId)).toMatchObject({
      parentSpanId: undefined,
      attributes: { 'edgeline.middleware.decision': 'respond', 'http.response.status_code': 401 },
    })
    const redirected = await callMiddleware('/account')
    expect(redirected.response.status).toBe(303)
    await redirected.afterAnswer
    expect(
      receiver
        .spans()
        .some(
          (span) =>
            span.attributes['url.path'] === '/account' &&
            span.attributes['edgeline.middleware.decision'] === 'redirect' &&
            span.attributes['http.response.status_code'] === 303,
        ),
    ).toBe(true)
  })

  it('starts a new trace for an invalid traceparent, and drops a tracestate that came with it', async () => {
    const { response, afterAnswer } = await callMiddleware('/', {
      traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`,
      tracestate: 'forged=1',
    })
    const handedOn = parseTraceParent(forwarded(response, 'traceparent'), null)
    expect(handedOn?.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(handedOn?.traceId).not.toBe('0'.repeat(32))
    expect(forwarded(response, 'tracestate')).toBeNull()
    await afterAnswer
    expect(spanOf(handedOn?.traceId ?? '')).toMatchObject({
      spanId: handedOn?.spanId,
      parentSpanId: undefined,
    })
  })

  it('hands an unsampled caller’s decision on, and exports nothing for it', async () => {
    const unsampled = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
    const { response, exportsLeft } = await callMiddleware('/', {
      traceparent: `00-${unsampled}-${CALLER_SPAN}-00`,
    })
    const handedOn = parseTraceParent(forwarded(response, 'traceparent'), null)
    expect(handedOn).toMatchObject({ traceId: unsampled, sampled: false })
    expect(handedOn?.spanId).not.toBe(CALLER_SPAN)
    expect(exportsLeft).toBe(0)
  })
})
