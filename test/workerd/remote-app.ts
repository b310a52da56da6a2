/**
 * Makes a test app answer from workerd: its `request` (what every API test calls) sends the request to the test
 * Worker, which runs the same app, with the same configuration, inside workerd. The local app stays for what tests
 * read of the app itself (its routes, its OpenAPI document); every answer comes from workerd.
 */
import type { App } from '../../edge/app'
import type { AppConfig } from '../../edge/env'
import type { AccessLogEntry } from '../../edge/middleware/access-log'
import { LOG_HEADER, REQUEST_HEADER, type WrappedRequest } from './wire'

/** Statuses whose response has no body (a Response with one would not construct). */
const NULL_BODY = new Set([101, 204, 205, 304])

export function answerFromWorkerd(app: App, config: AppConfig, workerUrl: string, logs: AccessLogEntry[]) {
  const configText = JSON.stringify(config)
  app.request = async (input, init) => {
    const source = input instanceof Request ? input : undefined
    const url = source ? source.url : new URL(String(input), 'http://localhost').href
    const method = init?.method ?? source?.method ?? 'GET'
    // A carrier POST, whatever the method (undici refuses some, e.g. TRACE): it also settles the body's bytes and
    // the content type a FormData or URLSearchParams body implies.
    const carrier = new Request(workerUrl, {
      method: 'POST',
      headers: init?.headers ?? source?.headers,
      body: init?.body ?? source?.body ?? null,
      duplex: 'half',
    } as RequestInit)
    const body = await carrier.arrayBuffer()
    const wrapped: WrappedRequest = {
      url,
      method,
      headers: [...carrier.headers],
      hasBody: init?.body != null || source?.body != null,
      config: configText,
    }
    const answer = await fetch(workerUrl, {
      method: 'POST',
      headers: { [REQUEST_HEADER]: JSON.stringify(wrapped) },
      body,
      redirect: 'manual',
    })
    const headers = new Headers(answer.headers)
    logs.push(...(JSON.parse(decodeURIComponent(headers.get(LOG_HEADER) ?? '%5B%5D')) as AccessLogEntry[]))
    headers.delete(LOG_HEADER)
    // The transport's own framing headers are not the app's.
    headers.delete('transfer-encoding')
    const content = NULL_BODY.has(answer.status) ? null : await answer.arrayBuffer()
    return new Response(content, { status: answer.status, statusText: answer.statusText, headers })
  }
}
