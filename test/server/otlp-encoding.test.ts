/**
 * Our OTLP encoders, read back by the test receiver's decoders (a schema-less protobuf wire reader, independent of
 * the encoder): both encodings of the same spans must decode to the same thing, every attribute type included.
 */
import { describe, expect, it } from 'vitest'
import { encodeTracesJson, encodeTracesProtobuf, originOf } from '../../edge/telemetry/otlp'
import type { SpanRecord } from '../../edge/telemetry/span'
import { decodeTraces } from '../support/otlp-receiver'

const origin = originOf({
  serviceName: 'encoding-test',
  resourceAttributes: { 'deployment.environment.name': 'test' },
})

const spans: SpanRecord[] = [
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentSpanId: 'b7ad6b7169203331',
    traceState: 'vendor=opaque',
    name: 'GET /api/users/:id',
    kind: 2,
    startTimeUnixNano: 1_796_577_578_862_770_000n,
    endTimeUnixNano: 1_796_577_578_962_819_000n,
    attributes: {
      'http.request.method': 'GET',
      'url.path': '/api/users/ünïcödé/✓',
      'http.response.status_code': 500,
      negative: -42,
      large: 2 ** 40 + 1,
      ratio: 0.125,
      yes: true,
      no: false,
      empty: '',
      long: 'x'.repeat(300),
    },
    status: { code: 2, message: 'HTTP 500' },
  },
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '1111111111111111',
    name: 'SELECT',
    kind: 3,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n ** 63n + 5n,
    attributes: {},
    status: { code: 0 },
  },
]

describe('OTLP trace encoding', () => {
  it('decodes to the same spans from protobuf as from JSON, with every attribute type and both edges of int64', () => {
    const fromJson = decodeTraces({
      contentType: 'application/json',
      body: Buffer.from(encodeTracesJson(spans, origin)),
    })
    const fromProtobuf = decodeTraces({
      contentType: 'application/x-protobuf',
      body: Buffer.from(encodeTracesProtobuf(spans, origin)),
    })
    expect(fromProtobuf).toEqual(fromJson)
    expect(fromProtobuf[0]).toMatchObject({
      traceId: spans[0]?.traceId,
      parentSpanId: 'b7ad6b7169203331',
      traceState: 'vendor=opaque',
      kind: 2,
      startTimeUnixNano: 1_796_577_578_862_770_000n,
      attributes: spans[0]?.attributes,
      status: { code: 2, message: 'HTTP 500' },
      resource: {
        'service.name': 'encoding-test',
        'deployment.environment.name': 'test',
        'telemetry.sdk.name': 'edgeline',
      },
      scope: 'edgeline',
    })
    expect(fromProtobuf[1]).toMatchObject({
      parentSpanId: undefined,
      endTimeUnixNano: 2n ** 63n + 5n,
      attributes: {},
    })
  })
})
