/**
 * The production server's HTTP layer: `/api` straight to the Hono app on Node, everything else (pages, the
 * middleware, static files, the API's docs) to Next's own handler; problems for what Node's parser refuses; a graceful drain.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { MAX_BODY_BYTES } from '../edge/app'
import { API_DOCS_FILES } from '../edge/openapi'
import { PROBLEM_CONTENT_TYPE, Problem, problemBody, problems } from '../edge/problem'
import { requestLineProblem } from '../edge/request-line'

export interface ProductionHandlers {
  /** The Hono app's `fetch`. */
  api: (request: Request) => Response | Promise<Response>
  /** Next's request handler (`next().getRequestHandler()`). */
  next: (request: IncomingMessage, response: ServerResponse) => Promise<void>
  /** Decides the client's address and writes it into the request (TRUST_PROXY). */
  rewriteClientAddress: (request: IncomingMessage) => string
}

export interface ProductionServerOptions {
  /** How long a body declared too large may take to arrive before the connection is dropped (default 10 s). */
  oversizedBodyDrainMs?: number
}

export function createProductionServer(
  handlers: ProductionHandlers,
  { oversizedBodyDrainMs = OVERSIZED_BODY_DRAIN_MS }: ProductionServerOptions = {},
): Server {
  const serveApi = getRequestListener(handlers.api)
  const server = createServer((request, response) => {
    handlers.rewriteClientAddress(request)
    if (isApiPath(request.url ?? '/')) {
      const declaredBytes = Number(request.headers['content-length'] ?? 0)
      if (!(declaredBytes > MAX_BODY_BYTES)) return void serveApi(request, response)
      // A body the API will refuse (413) by its declared length: read it to the end first, so that the client
      // finishes sending before it reads the answer, and the connection stays usable for its next request.
      // Closing early instead cut the client off mid-upload (EPIPE); leaving it unread made the next request on
      // that keep-alive connection fail. Past the bound, the connection is dropped.
      discardBody(request, OVERSIZED_BODY_DRAIN_BYTES, oversizedBodyDrainMs).then(
        () => serveApi(request, response),
        () => request.socket.destroy(),
      )
      return
    }
    const refusal = refusedBeforeNext(request)
    if (refusal) return writeProblemResponse(response, refusal)
    handlers.next(request, response).catch((error: unknown) => {
      console.error('Next.js failed to answer', request.method, request.url, error)
      if (!response.headersSent) writeProblemResponse(response, internalError())
      else response.destroy()
    })
  })
  // Longer than the idle timeouts of the usual load balancers (60 s), so they never reuse a socket we close.
  server.keepAliveTimeout = 65_000
  server.on('clientError', answerClientError)
  // `Expect` other than 100-continue: Node answers an empty 417 by itself; ours says why, as a problem.
  server.on('checkExpectation', (_request, response: ServerResponse) => {
    writeProblemResponse(
      response,
      new Problem({
        status: 417,
        slug: 'expectation-failed',
        title: 'Expectation Failed',
        detail: 'Only "Expect: 100-continue" is supported.',
      }),
    )
  })
  // CONNECT (a proxy tunnel) is never ours to serve; without a listener Node just drops the connection.
  server.on('connect', (request: IncomingMessage, socket: Socket) => {
    writeRawProblem(socket, problems.methodNotImplemented(request.method ?? 'CONNECT'))
  })
  return server
}

/**
 * Requests Next would answer with a 500 or an empty 400 before any code of ours runs (README, API; decision
 * 0014): a method outside the seven Next dispatches (TRACE among them), a path that does not decode, a write to
 * Next's hashed build output. The API's own path applies the same rules inside the Hono app.
 */
function refusedBeforeNext(request: IncomingMessage): Problem | undefined {
  const url = request.url ?? '/'
  const method = request.method ?? 'GET'
  const pathname = url.split('?')[0] ?? '/'
  if (pathname.startsWith('/_next/static/') && method !== 'GET' && method !== 'HEAD') {
    return problems.methodNotAllowed(method, ['GET', 'HEAD'])
  }
  return requestLineProblem(method, pathname)
}

/** How much of a body declared too large is read and thrown away before the 413, and for how long at most. */
const OVERSIZED_BODY_DRAIN_BYTES = 16 * MAX_BODY_BYTES
const OVERSIZED_BODY_DRAIN_MS = 10_000

function discardBody(request: IncomingMessage, maxBytes: number, maxMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let bytes = 0
    const timer = setTimeout(() => reject(new Error('body too slow')), maxMs)
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > maxBytes) {
        clearTimeout(timer)
        reject(new Error('body too large'))
      }
    })
    request.once('end', () => {
      clearTimeout(timer)
      resolve()
    })
    request.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

/** What the Hono app serves: its base path is `/api`, less the docs' static files, which Next serves from public/. */
function isApiPath(url: string): boolean {
  if (!(url === '/api' || url.startsWith('/api/') || url.startsWith('/api?'))) return false
  const query = url.indexOf('?')
  return !Object.hasOwn(API_DOCS_FILES, query < 0 ? url : url.slice(0, query))
}

/** What Node's HTTP parser refuses never reaches a handler: answer it as a problem, then close the connection. */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy()
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new Problem({
          status: 431,
          slug: 'headers-too-large',
          title: 'Request Header Fields Too Large',
          detail: 'The request headers exceed the server limit (16 KiB in all).',
        })
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new Problem({
            status: 408,
            slug: 'request-timeout',
            title: 'Request Timeout',
            detail: 'The request was not received in time.',
          })
        : new Problem({
            status: 400,
            slug: 'malformed-request',
            title: 'Malformed Request',
            detail: 'The request is not valid HTTP/1.1.',
          })
  writeRawProblem(socket, problem)
}

/** A problem straight onto a socket that no HTTP response object owns (parser errors, CONNECT); then close it. */
function writeRawProblem(socket: Socket, problem: Problem): void {
  const body = JSON.stringify(problemBody(problem, { instance: '', requestId: '' }))
  const headers = Object.entries(problem.headers).map(([name, value]) => `${name}: ${value}\r\n`)
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n${headers.join('')}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

function internalError(): Problem {
  return new Problem({
    status: 500,
    slug: 'internal-error',
    title: 'Internal Server Error',
    detail: 'An unexpected error occurred.',
  })
}

function writeProblemResponse(response: ServerResponse, problem: Problem): void {
  const body = JSON.stringify(problemBody(problem, { instance: '', requestId: '' }))
  response.writeHead(problem.status, { ...problem.headers, 'Content-Type': PROBLEM_CONTENT_TYPE })
  response.end(body)
}

/**
 * Stops accepting, lets in-flight requests finish for up to `timeoutMs` (idle keep-alive connections are closed
 * at once, busy ones as soon as their answer is sent), then cuts whatever is left.
 */
export function drain(server: Server, timeoutMs: number): Promise<'drained' | 'timed-out'> {
  return new Promise((resolve) => {
    let outcome: 'drained' | 'timed-out' = 'drained'
    const sweep = setInterval(() => server.closeIdleConnections(), 50)
    const deadline = setTimeout(() => {
      outcome = 'timed-out'
      server.closeAllConnections()
    }, timeoutMs)
    server.close(() => {
      clearInterval(sweep)
      clearTimeout(deadline)
      resolve(outcome)
    })
    server.closeIdleConnections()
  })
}
