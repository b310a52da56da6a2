/**
 * The Worker the API's tests talk to when they run against workerd (`npm run test:workerd`): the same `createApp`
 * from edge/, one app per configuration a test file asks for, inside workerd, where no Node global exists. The test
 * process sends each request wrapped (test/workerd/remote-app.ts): the original URL, method and headers in one
 * header, the body as the body; the answer comes back as the app gave it, plus the access log line it wrote.
 */
import { createApp } from '../../edge/app'
import type { AppConfig } from '../../edge/env'
import type { AccessLogEntry } from '../../edge/middleware/access-log'
import { LOG_HEADER, REQUEST_HEADER, type WrappedRequest } from './wire'

interface TestApp {
  fetch: (request: Request) => Response | Promise<Response>
  /** Log lines by request id, taken out as each answer leaves. */
  logs: Map<string, AccessLogEntry[]>
}

const apps = new Map<string, TestApp>()

function appFor(configText: string): TestApp {
  let app = apps.get(configText)
  if (!app) {
    const logs = new Map<string, AccessLogEntry[]>()
    const hono = createApp(JSON.parse(configText) as AppConfig, {
      log: (entry) => logs.set(entry.requestId, [...(logs.get(entry.requestId) ?? []), entry]),
    })
    app = { fetch: (request) => hono.fetch(request), logs }
    apps.set(configText, app)
  }
  return app
}

export default {
  async fetch(carrier: Request): Promise<Response> {
    const wrapped = JSON.parse(carrier.headers.get(REQUEST_HEADER) ?? 'null') as WrappedRequest | null
    if (!wrapped) return new Response('Not a wrapped test request.', { status: 400 })
    const body = await carrier.arrayBuffer()
    const request = new Request(wrapped.url, {
      method: wrapped.method,
      headers: wrapped.headers,
      ...(wrapped.hasBody ? { body } : {}),
    })
    const app = appFor(wrapped.config)
    const answer = await app.fetch(request)
    const requestId = answer.headers.get('x-request-id') ?? ''
    const logged = app.logs.get(requestId) ?? []
    app.logs.delete(requestId)
    const headers = new Headers(answer.headers)
    headers.set(LOG_HEADER, encodeURIComponent(JSON.stringify(logged)))
    return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers })
  },
}
