/**
 * The production server's metrics, recorded by the real app over the run's database, read the ways a user would:
 * Prometheus text over HTTP, and OTLP exports (JSON and protobuf) to a real receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { createApp } from '../../edge/app'
import { parseTelemetryConfig } from '../../edge/telemetry/env'
import { originOf } from '../../edge/telemetry/otlp'
import { readServerConfig } from '../../server/config'
import {
  createServerMetrics,
  exportMetricsPeriodically,
  REQUEST_BUCKETS,
  serveMetrics,
  withRoundTripMetrics,
} from '../../server/metrics'
import { requestMetrics } from '../../server/request-metrics'
import { testConfig } from '../api/support'
import { type OtlpReceiver, type ReceivedMetric, startOtlpReceiver } from '../support/otlp-receiver'

let receiver: OtlpReceiver
beforeAll(async () => {
  receiver = await startOtlpReceiver()
})
afterAll(() => receiver.close())

const origin = originOf(parseTelemetryConfig({ OTEL_SERVICE_NAME: 'metrics-test' }))

/** The app as the production server wires it: requests and round trips recorded, a pool read on demand. */
function measuredApp(pool = { inUse: 2, idle: 3, waiting: 1 }) {
  const metrics = createServerMetrics({ origin, readPool: () => pool })
  const config = testConfig()
  const db = createDatabase({
    databaseUrl: config.databaseUrl,
    sqlGatewayEndpoint: config.sqlGatewayEndpoint,
    roundTrips: withRoundTripMetrics(undefined, metrics),
  })
  const app = createApp(config, { db, log: () => {}, observeRequests: requestMetrics(metrics.recordRequest) })
  return { app, metrics }
}

describe('metrics of the production server', () => {
  it('counts requests by method, route template and status, and database round trips by operation', async () => {
    const { app, metrics } = measuredApp()
    for (let i = 0; i < 3; i++) expect((await app.request('/api/hello')).status).toBe(200)
    expect((await app.request('/api/health')).status).toBe(200)
    expect((await app.request('/api/users/123')).status).toBe(401)
    // Refused before any route is looked for (no token): a 401 that matched no route.
    expect((await app.request('/api/nothing-here')).status).toBe(401)

    const text = metrics.prometheusText()
    const hello = 'http_request_method="GET",http_route="/api/hello",http_response_status_code="200"'
    expect(text).toContain('# TYPE http_server_request_duration_seconds histogram')
    expect(text).toContain(`http_server_request_duration_seconds_count{${hello}} 3`)
    expect(text).toContain(`http_server_request_duration_seconds_bucket{${hello},le="+Inf"} 3`)
    expect(text).toContain(
      'http_server_request_duration_seconds_count{http_request_method="GET",http_route="/api/users/:id",http_response_status_code="401"} 1',
    )
    // No route matched: no http.route, rather than the raw path (which would make a series per path).
    expect(text).toContain(
      'http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="401"} 1',
    )
    expect(text).not.toContain('nothing-here')
    expect(text).toMatch(
      /db_client_operation_duration_seconds_count\{db_system_name="postgresql",db_operation_name="SELECT"\} [1-9]/,
    )
    expect(text).toContain('db_client_connection_count{db_client_connection_state="used"} 2')
    expect(text).toContain('db_client_connection_count{db_client_connection_state="idle"} 3')
    expect(text).toContain('db_client_connection_pending_requests 1')
    // Cumulative buckets: each at least the one before, the last equal to the count.
    const buckets = [...text.matchAll(new RegExp(`_bucket\\{${hello},le="[^"]+"\\} (\\d+)`, 'g'))].map((m) =>
      Number(m[1]),
    )
    expect(buckets).toHaveLength(REQUEST_BUCKETS.length + 1)
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b))
  })

  it('serves Prometheus text on its own port, loopback by default, and nothing else there', async () => {
    expect(readServerConfig([], {}).metrics).toBeUndefined()
    expect(readServerConfig([], { METRICS_PORT: '9464' }).metrics).toEqual({
      port: 9464,
      hostname: '127.0.0.1',
    })
    expect(() => readServerConfig([], { METRICS_PORT: 'x' })).toThrow(/METRICS_PORT/)
    const { app, metrics } = measuredApp()
    await app.request('/api/hello')
    const endpoint = await serveMetrics(metrics, 0, '127.0.0.1')
    try {
      const response = await fetch(endpoint.url)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
      expect(await response.text()).toContain('http_server_request_duration_seconds_count')
      expect((await fetch(endpoint.url.replace('/metrics', '/'))).status).toBe(404)
    } finally {
      await endpoint.close()
    }
  })

  it.each(['http/json', 'http/protobuf'] as const)(
    'exports the same figures over OTLP as %s',
    async (protocol) => {
      const { app, metrics } = measuredApp({ inUse: 4, idle: 0, waiting: 7 })
      for (let i = 0; i < 2; i++) await app.request('/api/hello')
      const target = parseTelemetryConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      }).metrics
      if (!target) throw new Error('a metrics target was expected')
      const before = receiver.exports.length
      const exporter = exportMetricsPeriodically(metrics, target, 60_000)
      await exporter.stop()
      const received = receiver.exports.slice(before)
      expect(received.map((e) => [e.path, e.contentType])).toEqual([
        ['/v1/metrics', protocol === 'http/json' ? 'application/json' : 'application/x-protobuf'],
      ])
      const all = receiver.metrics().slice(-4)
      const byName = (name: string) => all.find((metric) => metric.name === name) as ReceivedMetric
      const requests = byName('http.server.request.duration')
      expect(requests).toMatchObject({ unit: 's', kind: 'histogram', temporality: 2 })
      const hello = requests.points.find((point) => point.attributes['http.route'] === '/api/hello')
      expect(hello).toMatchObject({ count: 2, explicitBounds: REQUEST_BUCKETS })
      expect(hello?.bucketCounts?.reduce((a, b) => a + b, 0)).toBe(2)
      expect(hello?.sum).toBeGreaterThan(0)
      expect(byName('db.client.operation.duration').kind).toBe('histogram')
      expect(byName('db.client.connection.count').points).toEqual([
        { attributes: { 'db.client.connection.state': 'used' }, value: 4 },
        { attributes: { 'db.client.connection.state': 'idle' }, value: 0 },
      ])
      expect(byName('db.client.connection.pending_requests').points).toEqual([{ attributes: {}, value: 7 }])
      expect(exporter.failures()).toBe(0)
    },
  )
})
