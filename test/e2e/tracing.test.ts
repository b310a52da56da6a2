/**
 * Traces from the built app, as deployed: `next start` (project e2e: the API and the form handlers as edge functions
 * in Next's sandbox, exporting after the answer through the platform's waitUntil) and the production server (project
 * e2e-node: Hono on Node, spans batched). Each server here is started for these tests with OpenTelemetry's standard
 * variables pointing at a real OTLP/HTTP receiver of the test (protobuf, the default protocol).
 */
import type { ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { EMBEDDED_DATABASE_URL } from '../../db/database-url'
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver'
import { startNextServer, startProductionServer, stop, waitUntilServing } from './built-server'

const kind = inject('serverKind')
const servers: ChildProcess[] = []
let receiver: OtlpReceiver
let baseUrl = ''
let logFile = ''

/** A server of the build with `env` added; its output goes to a log file of its own. */
async function startTraced(name: string, env: Record<string, string>) {
  mkdirSync('test-results/e2e', { recursive: true })
  const file = `test-results/e2e/tracing-${kind}-${name}.log`
  const log = createWriteStream(file)
  const databaseUrl = inject('databaseUrl')
  const sqlEndpoint = inject('sqlEndpoint')
  const { server, appUrl } =
    kind === 'node'
      ? await startProductionServer(databaseUrl, sqlEndpoint, log, undefined, env)
      : await startNextServer(databaseUrl, sqlEndpoint, log, env)
  servers.push(server)
  await waitUntilServing(server, `${appUrl}/api/hello`, 60_000, file)
  return { url: appUrl, file }
}

beforeAll(async () => {
  receiver = await startOtlpReceiver()
  // On Node spans go out in batches: a short delay keeps the tests quick (the default is 5 s).
  const started = await startTraced('receiver', {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    // The production server's metrics: OTLP every 200 ms, and Prometheus on a free loopback port.
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    METRICS_PORT: '0',
  })
  baseUrl = started.url
  logFile = started.file
})

afterAll(async () => {
  await Promise.all(servers.map(stop))
  await receiver?.close()
})

const spansOf = (traceId: string) => receiver.spans().filter((span) => span.traceId === traceId)
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
})

async function signUp(url: string, password: string) {
  const email = `e2e-traced-${crypto.randomUUID()}@example.test`
  const response = await fetch(`${url}/api/auth/signup`, json({ name: 'Traced', email, password }))
  expect(response.status).toBe(201)
  return { email, ...((await response.json()) as { accessToken: string; refreshToken: string }) }
}

describe(`traces from the built app (${kind})`, () => {
  it('continues the caller’s trace: a server span with the database and token spans as its children', async () => {
    const { accessToken } = await signUp(baseUrl, 'a password for tracing')
    const traceId = crypto.randomUUID().replaceAll('-', '')
    const callerSpan = 'b7ad6b7169203331'
    const response = await fetch(`${baseUrl}/api/auth/me`, {
      headers: {
        authorization: `Bearer ${accessToken}`,
        traceparent: `00-${traceId}-${callerSpan}-01`,
        tracestate: 'caller=1',
      },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-trace-id')).toBe(traceId)

    // next start runs middleware.ts before the API function (its span is one more); the production server does not.
    const expected = kind === 'next' ? 4 : 3
    const spans = await receiver.waitForSpans(() => spansOf(traceId).length >= expected)
    const ours = spans.filter((span) => span.traceId === traceId)
    expect(ours).toHaveLength(expected)
    const server = ours.find((span) => span.name === 'GET /api/auth/me') as ReceivedSpan
    const middleware = ours.find((span) => span.name === 'middleware')
    if (kind === 'next') {
      // One trace across the middleware and the function: the API's span is the middleware's child.
      expect(middleware).toMatchObject({
        kind: 2,
        parentSpanId: callerSpan,
        traceState: 'caller=1',
        attributes: {
          'http.request.method': 'GET',
          'url.path': '/api/auth/me',
          'edgeline.middleware.decision': 'continue',
        },
      })
    } else expect(middleware).toBeUndefined()
    expect(server).toMatchObject({
      kind: 2,
      parentSpanId: middleware?.spanId ?? callerSpan,
      traceState: 'caller=1',
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/api/auth/me',
        'url.path': '/api/auth/me',
        'http.response.status_code': 200,
        'edgeline.request_id': response.headers.get('x-request-id'),
      },
    })
    const children = ours.filter((span) => span !== server && span !== middleware)
    expect(children.map((span) => span.name).sort()).toEqual(['SELECT', 'verify access token'])
    for (const child of children) expect(child.parentSpanId).toBe(server.spanId)
    expect(children.find((span) => span.name === 'SELECT')?.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.operation.name': 'SELECT',
    })
    expect(receiver.exports.at(-1)?.contentType).toBe('application/x-protobuf')
    // The server's access log line carries the same trace id.
    await expect.poll(() => readFileSync(logFile, 'utf8')).toContain(`"traceId":"${traceId}"`)
  })

  it('traces a page view: the middleware’s span, the page’s as its child, and the page’s database round trip', async () => {
    const { accessToken } = await signUp(baseUrl, 'a password for a traced page')
    const traceId = crypto.randomUUID().replaceAll('-', '')
    const callerSpan = 'c7ad6b7169203331'
    const response = await fetch(`${baseUrl}/users?q=traced`, {
      headers: {
        cookie: `__Host-edgeline_session=${accessToken}`,
        traceparent: `00-${traceId}-${callerSpan}-01`,
      },
    })
    expect(response.status).toBe(200)
    await response.text()

    const spans = await receiver.waitForSpans(() => spansOf(traceId).length >= 3)
    const ours = spans.filter((span) => span.traceId === traceId)
    // The page reads the header's account and the list in one batch: one round trip, one span.
    expect(ours.map((span) => span.name).sort()).toEqual(['BATCH SELECT', 'GET /users', 'middleware'])
    const middleware = ours.find((span) => span.name === 'middleware') as ReceivedSpan
    const page = ours.find((span) => span.name === 'GET /users') as ReceivedSpan
    const query = ours.find((span) => span.name === 'BATCH SELECT') as ReceivedSpan
    expect(middleware).toMatchObject({
      parentSpanId: callerSpan,
      attributes: { 'url.path': '/users', 'edgeline.middleware.decision': 'continue' },
    })
    expect(page).toMatchObject({
      kind: 2,
      parentSpanId: middleware.spanId,
      attributes: { 'http.request.method': 'GET', 'http.route': '/users', 'url.path': '/users' },
    })
    expect(query).toMatchObject({
      kind: 3,
      parentSpanId: page.spanId,
      attributes: {
        'db.system.name': 'postgresql',
        'db.operation.name': 'BATCH SELECT',
        'db.operation.batch.size': 2,
      },
    })
  })

  it('traces a form post: the middleware’s span, the post’s as its child, the in-process API call and its database under that', async () => {
    const traceId = crypto.randomUUID().replaceAll('-', '')
    const callerSpan = 'd7ad6b7169203331'
    const email = `e2e-traced-post-${crypto.randomUUID()}@example.test`
    const response = await fetch(`${baseUrl}/signup/submit`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'Traced post', email, password: 'a password for a traced post' }),
      headers: { origin: baseUrl, traceparent: `00-${traceId}-${callerSpan}-01` },
      redirect: 'manual',
    })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toMatch(/^\/\?notice=Welcome/)

    // The post's span ends last; the API's may go out before it (its own export, on a timer there).
    const spans = await receiver.waitForSpans(
      () =>
        spansOf(traceId).some((span) => span.name === 'POST /signup/submit') &&
        spansOf(traceId).some((span) => span.attributes['db.system.name'] === 'postgresql'),
    )
    const ours = spans.filter((span) => span.traceId === traceId)
    const middleware = ours.find((span) => span.name === 'middleware') as ReceivedSpan
    const post = ours.find((span) => span.name === 'POST /signup/submit') as ReceivedSpan
    const api = ours.find((span) => span.name === 'POST /api/auth/signup') as ReceivedSpan
    expect(middleware).toMatchObject({
      parentSpanId: callerSpan,
      attributes: { 'url.path': '/signup/submit', 'edgeline.middleware.decision': 'continue' },
    })
    expect(post).toMatchObject({
      kind: 2,
      parentSpanId: middleware.spanId,
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/signup/submit',
        'http.response.status_code': 303,
      },
    })
    expect(api).toMatchObject({
      kind: 2,
      parentSpanId: post.spanId,
      attributes: { 'http.route': '/api/auth/signup', 'http.response.status_code': 201 },
    })
    const children = ours.filter((span) => span !== middleware && span !== post && span !== api)
    expect(children.map((span) => span.name)).toContain('hash password')
    expect(children.some((span) => span.attributes['db.system.name'] === 'postgresql')).toBe(true)
    for (const child of children) expect(child.parentSpanId).toBe(api.spanId)
  })

  it('traces a request the middleware refuses, and its answer says the trace id', async () => {
    const response = await fetch(`${baseUrl}/account`, { redirect: 'manual' })
    expect(response.status).toBe(303)
    const refused = await fetch(`${baseUrl}/api/users`, { headers: { authorization: 'Bearer forged' } })
    expect(refused.status).toBe(401)
    const traceId = refused.headers.get('x-trace-id') ?? ''
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    // The page's redirect is the middleware's on both servers; the production server's API answers its own 401.
    await receiver.waitForSpans((all) =>
      all.some(
        (span) =>
          span.name === 'middleware' &&
          span.attributes['url.path'] === '/account' &&
          span.attributes['edgeline.middleware.decision'] === 'redirect' &&
          span.attributes['http.response.status_code'] === 303,
      ),
    )
    await receiver.waitForSpans(() => spansOf(traceId).some((span) => span.kind === 2))
    expect(spansOf(traceId).find((span) => span.kind === 2)).toMatchObject(
      kind === 'next'
        ? {
            name: 'middleware',
            attributes: {
              'url.path': '/api/users',
              'edgeline.middleware.decision': 'respond',
              'http.response.status_code': 401,
            },
          }
        : { attributes: { 'url.path': '/api/users', 'http.response.status_code': 401 } },
    )
  })

  it('never exports a password, token or email sent through the API and the form handlers', async () => {
    const before = receiver.exports.length
    const password = `pw-${crypto.randomUUID()}`
    const newPassword = `new-${crypto.randomUUID()}`
    const session = await signUp(baseUrl, password)
    const bearer = { authorization: `Bearer ${session.accessToken}` }
    const loggedIn = (await (
      await fetch(`${baseUrl}/api/auth/login`, json({ email: session.email, password }))
    ).json()) as {
      accessToken: string
      refreshToken: string
    }
    await fetch(`${baseUrl}/api/auth/login`, json({ email: session.email, password: 'not the password' }))
    await fetch(`${baseUrl}/api/auth/me`, { headers: bearer })
    const changed = (await (
      await fetch(`${baseUrl}/api/auth/password`, json({ currentPassword: password, newPassword }, bearer))
    ).json()) as {
      refreshToken: string
    }
    const refreshed = (await (
      await fetch(`${baseUrl}/api/auth/refresh`, json({ refreshToken: changed.refreshToken }))
    ).json()) as {
      accessToken: string
      refreshToken: string
    }
    await fetch(`${baseUrl}/api/auth/logout`, json({ refreshToken: refreshed.refreshToken }))
    const formEmail = `e2e-traced-form-${crypto.randomUUID()}@example.test`
    const formPassword = `form-${crypto.randomUUID()}`
    const formPost = (path: string, fields: Record<string, string>) =>
      fetch(`${baseUrl}${path}`, {
        method: 'POST',
        body: new URLSearchParams(fields),
        headers: { origin: baseUrl },
        redirect: 'manual',
      })
    expect(
      (await formPost('/signup/submit', { name: 'Form', email: formEmail, password: formPassword })).status,
    ).toBe(303)
    expect((await formPost('/login/submit', { email: formEmail, password: formPassword })).status).toBe(303)
    const lastTrace = (await fetch(`${baseUrl}/api/hello`)).headers.get('x-trace-id') ?? ''
    await receiver.waitForSpans(() => spansOf(lastTrace).length > 0)

    const text = Buffer.concat(receiver.exports.slice(before).map((e) => e.body)).toString('latin1')
    expect(text).toContain('POST /api/auth/login')
    const secrets = [
      password,
      newPassword,
      session.email,
      formEmail,
      formPassword,
      session.accessToken,
      session.refreshToken,
      loggedIn.accessToken,
      loggedIn.refreshToken,
      changed.refreshToken,
      refreshed.accessToken,
      refreshed.refreshToken,
    ]
    for (const secret of secrets) {
      expect(text.includes(secret), `an export carries ${secret.slice(0, 10)}…`).toBe(false)
      expect(text.includes(secret.slice(-16)), `an export carries the end of ${secret.slice(0, 10)}…`).toBe(
        false,
      )
    }
  })

  it('answers as fast, and the same, when the collector is slow', async () => {
    const timed = async () => {
      const started = performance.now()
      const response = await fetch(`${baseUrl}/api/hello`)
      await response.text()
      return { status: response.status, ms: performance.now() - started }
    }
    for (let i = 0; i < 3; i++) await timed()
    receiver.delayMs = 5000
    try {
      const slow = [] as number[]
      for (let i = 0; i < 5; i++) {
        const answer = await timed()
        expect(answer.status).toBe(200)
        slow.push(answer.ms)
      }
      // The bound: every answer within 1 s while each export waits 5 s for the collector.
      expect(Math.max(...slow)).toBeLessThan(1000)
    } finally {
      receiver.delayMs = 0
    }
  })
})

describe(`a dead collector (${kind})`, () => {
  let deadUrl = ''
  beforeAll(async () => {
    const dead = await startOtlpReceiver()
    const endpoint = dead.url
    await dead.close()
    deadUrl = (
      await startTraced('dead', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' })
    ).url
  })

  it('changes no answer and no status, and reports the spans it dropped', async () => {
    const password = 'a password for a dead collector'
    const session = await signUp(deadUrl, password)
    const me = await fetch(`${deadUrl}/api/auth/me`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    })
    expect(me.status).toBe(200)
    expect(((await me.json()) as { user: { email: string } }).user.email).toBe(session.email)
    const started = performance.now()
    const hello = await fetch(`${deadUrl}/api/hello`)
    expect(hello.status).toBe(200)
    expect(performance.now() - started).toBeLessThan(1000)
    await expect
      .poll(() => readFileSync(`test-results/e2e/tracing-${kind}-dead.log`, 'utf8'), { timeout: 10_000 })
      .toContain('"msg":"spans dropped"')
  })
})

describe.skipIf(kind !== 'node')('metrics of the production server', () => {
  it('serves Prometheus text on METRICS_PORT and exports the same histograms over OTLP', async () => {
    const metricsUrl = /Metrics\s+(http:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'))?.[1]
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    for (let i = 0; i < 3; i++) expect((await fetch(`${baseUrl}/api/hello`)).status).toBe(200)
    const text = await (await fetch(metricsUrl as string)).text()
    const hello =
      /http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/api\/hello",http_response_status_code="200"\} (\d+)/.exec(
        text,
      )
    expect(Number(hello?.[1])).toBeGreaterThanOrEqual(3)
    expect(text).toMatch(
      /db_client_operation_duration_seconds_count\{db_system_name="postgresql",db_operation_name="SELECT"\} \d+/,
    )
    // A gateway of its own (real Postgres): its pool is reported; on the embedded database the run's endpoint has it.
    if (inject('databaseUrl') !== EMBEDDED_DATABASE_URL)
      expect(text).toContain('db_client_connection_pending_requests')
    await expect
      .poll(() => receiver.metrics().map((metric) => metric.name), { timeout: 5000 })
      .toContain('http.server.request.duration')
    expect(
      receiver.exports.some((e) => e.path === '/v1/metrics' && e.contentType === 'application/x-protobuf'),
    ).toBe(true)
  })
})
