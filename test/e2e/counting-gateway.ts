/** A SQL-over-HTTP endpoint that forwards every request to the run's gateway and counts them: one is one round trip. */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface CountingGateway {
  /** The endpoint to hand a server as SQL_GATEWAY_ENDPOINT. */
  url: string
  /** The requests forwarded so far (each is one database round trip, a batch included). */
  requests(): number
  close(): Promise<void>
}

/** Hop-by-hop and framing headers: the forwarding `fetch` sets its own. */
const NOT_FORWARDED = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'])

/**
 * Listens on loopback and hands each request, headers and body unchanged, to `target` (the run's gateway), then its
 * answer back. Counted when it arrives, so a request the target refuses still counts: it crossed the distance.
 */
export async function startCountingGateway(target: string): Promise<CountingGateway> {
  let count = 0
  const server = createServer((request, response) => {
    count += 1
    void forward(request, target).then(
      async (answer) => {
        const body = Buffer.from(await answer.arrayBuffer())
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' })
        response.end(body)
      },
      (error: unknown) => {
        response.writeHead(502, { 'content-type': 'text/plain' })
        response.end(`the counting gateway could not reach ${target}: ${String(error)}`)
      },
    )
  })
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/sql`,
    requests: () => count,
    close: () => new Promise((closed) => server.close(() => closed())),
  }
}

async function forward(request: IncomingMessage, target: string): Promise<Response> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue
    for (const each of Array.isArray(value) ? value : [value]) headers.append(name, each)
  }
  return fetch(target, {
    method: request.method,
    headers,
    ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
  })
}
