import { describe, expect, it } from 'vitest'
import { DEFAULT_OTEL_SERVICE_NAME, parseTelemetryConfig } from '../../edge/telemetry/env'

describe('OpenTelemetry configuration from the standard variables', () => {
  it('is off with no endpoint: no traces, no metrics, the defaults of the specification otherwise', () => {
    expect(parseTelemetryConfig({})).toEqual({
      serviceName: DEFAULT_OTEL_SERVICE_NAME,
      resourceAttributes: {},
      traces: undefined,
      metrics: undefined,
      sampler: { parentBased: true, ratio: 1 },
      maxQueuedSpans: 2048,
      exportDelayMs: 5000,
      databaseQueryText: false,
      metricExportIntervalMs: 60_000,
    })
  })

  it('appends the signal paths to OTEL_EXPORTER_OTLP_ENDPOINT, and takes a signal’s own endpoint as it is', () => {
    const shared = parseTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/' })
    expect(shared.traces).toEqual({
      url: 'https://collector.example:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      timeoutMs: 10_000,
    })
    expect(shared.metrics?.url).toBe('https://collector.example:4318/v1/metrics')
    const own = parseTelemetryConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/traces',
    })
    expect(own.traces?.url).toBe('https://traces.example/otlp/traces')
  })

  it('reads headers, protocol, timeout, service name and resource attributes', () => {
    const config = parseTelemetryConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=abc%3D%3D, x-tenant = t1',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,deployment.environment.name=prod',
      OTEL_SERVICE_NAME: 'api',
    })
    expect(config.traces).toEqual({
      url: 'http://127.0.0.1:4318/v1/traces',
      protocol: 'http/json',
      headers: { 'x-honeycomb-team': 'abc==', 'x-tenant': 't1' },
      timeoutMs: 2500,
    })
    expect(config.serviceName).toBe('api')
    expect(config.resourceAttributes).toEqual({ 'deployment.environment.name': 'prod' })
    expect(parseTelemetryConfig({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource' }).serviceName).toBe(
      'from-resource',
    )
  })

  it('maps the samplers to a parent rule and a ratio', () => {
    const sampler = (name: string, arg?: string) =>
      parseTelemetryConfig({ OTEL_TRACES_SAMPLER: name, OTEL_TRACES_SAMPLER_ARG: arg }).sampler
    expect(sampler('always_on')).toEqual({ parentBased: false, ratio: 1 })
    expect(sampler('always_off')).toEqual({ parentBased: false, ratio: 0 })
    expect(sampler('traceidratio', '0.25')).toEqual({ parentBased: false, ratio: 0.25 })
    expect(sampler('parentbased_traceidratio', '0.1')).toEqual({ parentBased: true, ratio: 0.1 })
    expect(sampler('parentbased_always_off')).toEqual({ parentBased: true, ratio: 0 })
  })

  it('turns off with OTEL_SDK_DISABLED or an exporter of none, whatever the endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }
    expect(parseTelemetryConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toMatchObject({
      traces: undefined,
      metrics: undefined,
    })
    expect(parseTelemetryConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).traces).toBeUndefined()
    expect(parseTelemetryConfig({ ...endpoint, OTEL_METRICS_EXPORTER: 'none' }).traces).toBeDefined()
    expect(parseTelemetryConfig({ ...endpoint, OTEL_METRICS_EXPORTER: 'none' }).metrics).toBeUndefined()
  })

  it('names every bad variable at once', () => {
    expect(() =>
      parseTelemetryConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '2',
        OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign',
        OTEL_EXPORTER_OTLP_TIMEOUT: 'soon',
      }),
    ).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL[\s\S]*OTEL_EXPORTER_OTLP_HEADERS must be a comma-separated list of key=value[\s\S]*OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf or http\/json[\s\S]*OTEL_EXPORTER_OTLP_TIMEOUT must be a whole number[\s\S]*OTEL_TRACES_SAMPLER must be one of[\s\S]*OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/,
    )
  })
})
