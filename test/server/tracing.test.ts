/**
 * Tracing on Node, as the production server runs it (Node's AsyncLocalStorage, spans batched): every export goes to a
 * real OTLP/HTTP receiver, decoded from JSON and from protobuf, and the app's answers go over real Postgres or the
 * run's gateway. The same app on the edge build is checked end to end in test/e2e/tracing.test.ts.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../edge/app'
import type { AccessLogEntry } from '../../edge/middleware/access-log'
import { submitAuthForm } from '../../edge/pages/auth-form-posts'
import { createOutcomeSeal } from '../../edge/pages/outcome-seal'
import { parseTelemetryConfig, type TelemetryEnvSource } from '../../edge/telemetry/env'
import { traceFormPost } from '../../edge/telemetry/form-span'
import { createTracer, type Tracer } from '../../edge/telemetry/tracer'
import { formPost, SITE } from '../api/form-support'
import { jsonInit, TEST_JWT_SECRET, testConfig, uniqueEmail } from '../api/support'
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver'

let receiver: OtlpReceiver
beforeAll(async () => {
  receiver = await startOtlpReceiver()
})
afterAll(() => receiver.close())

/**
 * An app traced to the receiver. The driver's fetch is process-global (db/client.ts), so each test builds its app
 * right before using it: the last app built is the one whose tracer sees the round trips.
 */
function tracedApp(env: TelemetryEnvSource = {}) {
  const logs: AccessLogEntry[] = []
  const warnings: Record<string, unknown>[] = []
  const telemetry = parseTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env })
  const tracer = createTracer(telemetry, {
    storage: new AsyncLocalStorage(),
    warn: (entry) => warnings.push(entry),
  }) as Tracer
  const app = createApp(testConfig(), { log: (entry) => logs.push(entry), tracer })
  return { app, tracer, logs, warnings }
}

const spansOf = (traceId: string) => receiver.spans().filter((span) => span.traceId === traceId)

async function signUp(app: ReturnType<typeof tracedApp>['app'], password = 'a password nobody may see') {
  const email = uniqueEmail('traced')
  const response = await app.request(
    '/api/auth/signup',
    jsonInit('POST', { name: 'Traced', email, password }),
  )
  expect(response.status).toBe(201)
  const session = (await response.json()) as { accessToken: string; refreshToken: string }
  return { email, password, ...session, traceId: response.headers.get('x-trace-id') ?? '' }
}

describe.each(['http/json', 'http/protobuf'] as const)('traces exported as %s', (protocol) => {
  it('sends a server span per request, with a child span per database round trip and for token verification', async () => {
    const { app, tracer, logs } = tracedApp({ OTEL_EXPORTER_OTLP_PROTOCOL: protocol })
    const { accessToken } = await signUp(app)
    const response = await app.request('/api/auth/me', {
      headers: { Authorization: `Bearer ${accessToken}` },
    })
    expect(response.status).toBe(200)
    const traceId = response.headers.get('x-trace-id') ?? ''
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    await tracer.flush()

    const spans = spansOf(traceId)
    const server = spans.find((span) => span.kind === 2) as ReceivedSpan
    expect(server).toMatchObject({
      name: 'GET /api/auth/me',
      parentSpanId: undefined,
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/api/auth/me',
        'url.path': '/api/auth/me',
        'http.response.status_code': 200,
        'edgeline.request_id': response.headers.get('x-request-id'),
      },
      resource: { 'service.name': 'edgeline' },
      scope: 'edgeline',
    })
    const children = spans.filter((span) => span !== server)
    expect(children.map((span) => span.name).sort()).toEqual(['SELECT', 'verify access token'])
    for (const child of children) {
      expect(child.parentSpanId).toBe(server.spanId)
      expect(child.startTimeUnixNano).toBeGreaterThanOrEqual(server.startTimeUnixNano)
      expect(child.endTimeUnixNano).toBeLessThanOrEqual(server.endTimeUnixNano)
    }
    const database = children.find((span) => span.name === 'SELECT') as ReceivedSpan
    expect(database.kind).toBe(3)
    expect(database.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.operation.name': 'SELECT',
    })
    expect(database.attributes).not.toHaveProperty('db.query.text')
    expect(database.endTimeUnixNano - database.startTimeUnixNano).toBeGreaterThan(0n)
    // The access log line names the same trace.
    expect(logs.at(-1)).toMatchObject({ path: '/api/auth/me', traceId })
    expect(receiver.exports.at(-1)?.contentType).toBe(
      protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
    )
  })

  it('records a batch as one round trip with its statement count, and the password hashing', async () => {
    const { app, tracer } = tracedApp({ OTEL_EXPORTER_OTLP_PROTOCOL: protocol })
    const { traceId } = await signUp(app)
    await tracer.flush()
    const names = spansOf(traceId).map((span) => span.name)
    expect(names).toContain('POST /api/auth/signup')
    expect(names).toContain('hash password')
    const database = spansOf(traceId).filter((span) => span.attributes['db.system.name'] === 'postgresql')
    expect(database.length).toBeGreaterThan(0)
    for (const span of database) {
      const count = span.attributes['db.operation.batch.size']
      if (count !== undefined) expect(span.attributes['db.operation.name']).toMatch(/^BATCH/)
    }
  })
})

describe('trace context', () => {
  it('continues the caller’s trace: its trace id, its span as parent, its tracestate', async () => {
    const { app, tracer } = tracedApp()
    const traceId = crypto.randomUUID().replaceAll('-', '')
    const response = await app.request('/api/hello', {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'vendor=opaque' },
    })
    expect(response.headers.get('x-trace-id')).toBe(traceId)
    await tracer.flush()
    const [server] = spansOf(traceId)
    expect(server).toMatchObject({
      parentSpanId: '00f067aa0ba902b7',
      traceState: 'vendor=opaque',
      name: 'GET /api/hello',
    })
  })

  it('continues the browser’s trace through a no-JavaScript form post to the API it calls in-process', async () => {
    const { app, tracer } = tracedApp()
    const traceId = crypto.randomUUID().replaceAll('-', '')
    const request = formPost('/signup/submit', {
      name: 'Form',
      email: uniqueEmail('tracedform'),
      password: 'a form password',
    })
    request.headers.set('traceparent', `00-${traceId}-b7ad6b7169203331-01`)
    const response = await submitAuthForm(
      { api: app, seal: createOutcomeSeal(TEST_JWT_SECRET) },
      'signup',
      request,
    )
    expect(response.status).toBe(303)
    await tracer.flush()
    expect(spansOf(traceId).find((span) => span.kind === 2)).toMatchObject({
      name: 'POST /api/auth/signup',
      parentSpanId: 'b7ad6b7169203331',
    })
  })

  it('traces a form post as a span of its own: the in-process API call its child, the database under that', async () => {
    const { app, tracer } = tracedApp()
    const site = { api: app, seal: createOutcomeSeal(TEST_JWT_SECRET) }
    const traceId = crypto.randomUUID().replaceAll('-', '')
    const request = formPost('/signup/submit', {
      name: 'Form',
      email: uniqueEmail('tracedpost'),
      password: 'a form password',
    })
    request.headers.set('traceparent', `00-${traceId}-b7ad6b7169203331-01`)
    const exported: Promise<unknown>[] = []
    const response = await traceFormPost(
      tracer,
      '/signup/submit',
      request,
      (traced) => submitAuthForm(site, 'signup', traced),
      (work) => exported.push(work),
    )
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toMatch(/^\/\?notice=Welcome/)
    // Exported after the answer, through the waitUntil it was given.
    expect(exported).toHaveLength(1)
    await Promise.all(exported)
    await tracer.flush()

    const spans = spansOf(traceId)
    const post = spans.find((span) => span.name === 'POST /signup/submit') as ReceivedSpan
    expect(post).toMatchObject({
      kind: 2,
      parentSpanId: 'b7ad6b7169203331',
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/signup/submit',
        'url.path': '/signup/submit',
        'http.response.status_code': 303,
      },
    })
    const api = spans.find((span) => span.name === 'POST /api/auth/signup') as ReceivedSpan
    expect(api).toMatchObject({ kind: 2, parentSpanId: post.spanId })
    expect(api.startTimeUnixNano).toBeGreaterThanOrEqual(post.startTimeUnixNano)
    expect(api.endTimeUnixNano).toBeLessThanOrEqual(post.endTimeUnixNano)
    const database = spans.filter((span) => span.attributes['db.system.name'] === 'postgresql')
    expect(database.length).toBeGreaterThan(0)
    for (const span of database) expect(span.parentSpanId).toBe(api.spanId)
    expect(spans.find((span) => span.name === 'hash password')?.parentSpanId).toBe(api.spanId)
  })

  it('records nothing of a form post the caller did not sample, and answers it the same', async () => {
    const { app, tracer } = tracedApp()
    const site = { api: app, seal: createOutcomeSeal(TEST_JWT_SECRET) }
    const unsampled = crypto.randomUUID().replaceAll('-', '')
    const post = (email: string, traced: boolean) => {
      const request = formPost('/login/submit', { email, password: 'not the password' })
      request.headers.set('traceparent', `00-${unsampled}-b7ad6b7169203331-00`)
      const submit = (r: Request) => submitAuthForm(site, 'login', r)
      return traced ? traceFormPost(tracer, '/login/submit', request, submit, () => {}) : submit(request)
    }
    const email = uniqueEmail('unsampledpost')
    const traced = await post(email, true)
    const untraced = await post(email, false)
    expect(traced.status).toBe(303)
    // The same page and problem (the seal's time and signature aside).
    const outcome = (response: Response) => {
      const url = new URL(response.headers.get('location') ?? '', SITE)
      return [url.pathname, url.searchParams.get('error'), url.searchParams.get('email')]
    }
    expect(outcome(traced)).toEqual(outcome(untraced))
    expect(outcome(traced)[1]).toBeTruthy()
    await tracer.flush()
    expect(spansOf(unsampled)).toEqual([])
  })

  it('records nothing for a caller that did not sample, and starts a new trace on a malformed traceparent', async () => {
    const { app, tracer } = tracedApp()
    const unsampled = crypto.randomUUID().replaceAll('-', '')
    await app.request('/api/hello', { headers: { traceparent: `00-${unsampled}-00f067aa0ba902b7-00` } })
    const malformed = await app.request('/api/hello', {
      headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
    })
    await tracer.flush()
    expect(spansOf(unsampled)).toEqual([])
    const fresh = malformed.headers.get('x-trace-id') ?? ''
    expect(fresh).not.toBe('0'.repeat(32))
    expect(spansOf(fresh)).toMatchObject([{ parentSpanId: undefined }])
  })

  it('samples by OTEL_TRACES_SAMPLER: always_off exports nothing, yet the trace id is still in the answer', async () => {
    const { app, tracer } = tracedApp({ OTEL_TRACES_SAMPLER: 'always_off' })
    const response = await app.request('/api/hello')
    const traceId = response.headers.get('x-trace-id') ?? ''
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    await tracer.flush()
    expect(spansOf(traceId)).toEqual([])
  })

  it('costs nothing when no endpoint is set: no tracer, no header, no trace id in the log', async () => {
    expect(createTracer(parseTelemetryConfig({}))).toBeUndefined()
    expect(
      createTracer(
        parseTelemetryConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' }),
      ),
    ).toBeUndefined()
    const logs: AccessLogEntry[] = []
    const app = createApp(testConfig(), { log: (entry) => logs.push(entry) })
    const response = await app.request('/api/hello')
    expect(response.headers.has('x-trace-id')).toBe(false)
    expect(logs.at(-1)).not.toHaveProperty('traceId')
  })
})

describe('secrets', () => {
  it('never exports a password, token, email or parameter value, even with the SQL text opted in', async () => {
    for (const protocol of ['http/json', 'http/protobuf'] as const) {
      const { app, tracer } = tracedApp({
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EDGELINE_DB_QUERY_TEXT: 'true',
      })
      const before = receiver.exports.length
      const password = `pw-${crypto.randomUUID()}`
      const newPassword = `new-${crypto.randomUUID()}`
      const session = await signUp(app, password)
      const bearer = { Authorization: `Bearer ${session.accessToken}` }
      const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        app.request(path, jsonInit('POST', body, headers))
      const logIn = await post('/api/auth/login', { email: session.email, password })
      const loggedIn = (await logIn.json()) as { accessToken: string; refreshToken: string }
      await post('/api/auth/login', { email: session.email, password: 'a wrong one' })
      await app.request('/api/auth/me', { headers: bearer })
      const changed = await post('/api/auth/password', { currentPassword: password, newPassword }, bearer)
      const afterChange = (await changed.json()) as { accessToken: string; refreshToken: string }
      const refreshed = await post('/api/auth/refresh', { refreshToken: afterChange.refreshToken })
      const last = (await refreshed.json()) as { accessToken: string; refreshToken: string }
      await app.request(`/api/users?q=${encodeURIComponent(session.email)}`, {
        headers: { Authorization: `Bearer ${last.accessToken}` },
      })
      await post('/api/auth/logout', { refreshToken: last.refreshToken })
      await tracer.flush()

      const exported = receiver.exports.slice(before)
      // The SQL text was there: the search below looked at real database spans.
      expect(receiver.spans().some((span) => typeof span.attributes['db.query.text'] === 'string')).toBe(true)
      const secrets = [
        password,
        newPassword,
        session.email,
        session.accessToken,
        session.refreshToken,
        loggedIn.accessToken,
        loggedIn.refreshToken,
        afterChange.refreshToken,
        last.accessToken,
        last.refreshToken,
      ]
      const everyByte = Buffer.concat(exported.map((e) => e.body))
      const text = everyByte.toString('latin1')
      for (const secret of secrets) {
        expect(text.includes(secret), `${protocol}: an export carries ${secret.slice(0, 8)}…`).toBe(false)
        // Tokens are long: a piece of one is as bad (the JWT's signature part, the refresh token's random part).
        const tail = secret.slice(-16)
        expect(text.includes(tail), `${protocol}: an export carries the end of ${secret.slice(0, 8)}…`).toBe(
          false,
        )
      }
      expect(text.toLowerCase().includes(session.email.toLowerCase())).toBe(false)
      expect(exported.length).toBeGreaterThan(0)
    }
  })
})

describe('a collector that is down or slow', () => {
  it('changes no answer when nothing listens; the lost spans are counted and reported once', async () => {
    const dead = await startOtlpReceiver()
    const deadUrl = dead.url
    await dead.close()
    const { app, tracer, warnings } = tracedApp({ OTEL_EXPORTER_OTLP_ENDPOINT: deadUrl })
    const plain = createApp(testConfig(), { log: () => {} })
    const traced = await app.request('/api/hello')
    expect(traced.status).toBe(200)
    expect(await traced.json()).toEqual(await (await plain.request('/api/hello')).json())
    await tracer.flush()
    expect(tracer.stats()).toMatchObject({ exported: 0, dropped: 1 })
    expect(warnings).toMatchObject([{ msg: 'spans dropped', count: 1, reason: 'collector unreachable' }])
  })

  it('never makes a request wait for a slow collector: the export runs after the answer, within its deadline', async () => {
    receiver.delayMs = 3000
    try {
      const { app, tracer } = tracedApp({ OTEL_EXPORTER_OTLP_TIMEOUT: '500' })
      const pending: Promise<unknown>[] = []
      // As on the edge (Next's `after`, Workers' waitUntil): the export is handed over after the answer.
      const context = {
        waitUntil: (work: Promise<unknown>) => void pending.push(work),
        passThroughOnException: () => {},
        props: {},
      }
      const started = performance.now()
      const response = await app.fetch(new Request('http://localhost/api/hello'), undefined, context)
      const elapsed = performance.now() - started
      expect(response.status).toBe(200)
      expect(pending).toHaveLength(1)
      // The bound: the answer comes long before the collector's 3 s, well under the 500 ms export deadline.
      expect(elapsed).toBeLessThan(250)
      await Promise.all(pending)
      expect(tracer.stats()).toMatchObject({ exported: 0, dropped: 1 })
    } finally {
      receiver.delayMs = 0
    }
  })

  it('sends what waited for a free export slot once one frees, without another request to prompt it', async () => {
    receiver.delayMs = 200
    try {
      const { app, tracer } = tracedApp({ OTEL_BSP_SCHEDULE_DELAY: '50' })
      // 1100 spans: two full batches of 512 take both export slots; the last 76 must wait for one.
      for (let i = 0; i < 1100; i++) await app.request('/api/hello')
      await expect.poll(() => tracer.stats(), { timeout: 5000 }).toEqual({ exported: 1100, dropped: 0 })
    } finally {
      receiver.delayMs = 0
    }
  })

  it('holds at most OTEL_BSP_MAX_QUEUE_SIZE spans; past it new ones are dropped, not kept', async () => {
    const { app, tracer } = tracedApp({ OTEL_BSP_MAX_QUEUE_SIZE: '2', OTEL_BSP_SCHEDULE_DELAY: '60000' })
    for (let i = 0; i < 5; i++) expect((await app.request('/api/hello')).status).toBe(200)
    expect(tracer.stats().dropped).toBe(3)
    await tracer.flush()
    expect(tracer.stats()).toMatchObject({ exported: 2, dropped: 3 })
  })
})
