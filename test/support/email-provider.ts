/**
 * A local stand-in for the email providers' HTTP APIs, answering as their documentation shows: Resend's
 * `POST /emails` (Bearer key, `{ from, to, subject, text }`, answers `{ id }`) and Postmark's `POST /email`
 * (`X-Postmark-Server-Token`, `{ From, To, Subject, TextBody, MessageStream }`, answers `{ MessageID, ErrorCode: 0 }`).
 * It records what it received and can be told to fail.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Record<string, unknown>
}

export interface EmailProviderStandIn {
  url: string
  received: ReceivedRequest[]
  /** The status to answer the next `count` sends with (500: an outage). */
  failNext(count: number, status?: number): void
  close(): Promise<void>
}

export const STAND_IN_API_KEY = 'stand-in-api-key'

export async function startEmailProviderStandIn(): Promise<EmailProviderStandIn> {
  const received: ReceivedRequest[] = []
  let failures: { count: number; status: number } = { count: 0, status: 500 }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>
      const path = request.url ?? ''
      const answer = (status: number, json: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(JSON.stringify(json))
      }
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 }
        return answer(failures.status, { message: 'stand-in outage' })
      }
      received.push({ method: request.method ?? '', path, headers: request.headers, body })
      if (request.method === 'POST' && path === '/emails') {
        if (request.headers.authorization !== `Bearer ${STAND_IN_API_KEY}`)
          return answer(401, { message: 'bad key' })
        return answer(200, { id: crypto.randomUUID() })
      }
      if (request.method === 'POST' && path === '/email') {
        if (request.headers['x-postmark-server-token'] !== STAND_IN_API_KEY) {
          return answer(401, { ErrorCode: 10, Message: 'Bad or missing API token' })
        }
        return answer(200, {
          To: body.To,
          SubmittedAt: new Date().toISOString(),
          MessageID: crypto.randomUUID(),
          ErrorCode: 0,
          Message: 'OK',
        })
      }
      answer(404, { message: 'not found' })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext(count, status = 500) {
      failures = { count, status }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
