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
import { hostFault, originFormOf } from './request-target'

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
  // Host is checked below, so that its absence is a problem like any other rather than Node's empty 400.
  const server = createServer({ requireHostHeader: false }, (request, response) => {
    trackAnswer(request.socket, response)
    const hostProblem = invalidHost(request)
    if (hostProblem) return writeProblemResponse(response, hostProblem)
    // Absolute-form (`GET http://evil.example/api/users`): the path it carries, on our origin (server/request-target.ts).
    request.url = originFormOf(request.url ?? '/')
    handlers.rewriteClientAddress(request)
    if (isApiPath(request.url)) return void serveApiBounded(serveApi, request, response, oversizedBodyDrainMs)
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

/** How much of a body too large for the API is read and thrown away before the 413, and for how long at most. */
const OVERSIZED_BODY_DRAIN_BYTES = 16 * MAX_BODY_BYTES
const OVERSIZED_BODY_DRAIN_MS = 10_000

/**
 * Hands a request to the API so that a body too large for it (413) never spoils the connection: the client
 * finishes sending before it reads the answer, and its next request on the same keep-alive connection is read as
 * a request. Closing early instead cut the client off mid-upload (EPIPE); leaving the body unread made the next
 * request fail, since the app stops reading at the limit and @hono/node-server then destroys the stream and with
 * it the socket. A body declared too large is drained, then the app answers 413 from the declared length. A body of
 * unknown length (chunked) is read here, up to one byte past the limit, and given to the app as it is
 * (`rawBody`); the rest is drained. Past the drain bound, the answer says `Connection: close` and the
 * connection is closed after it.
 */
function serveApiBounded(
  serveApi: (request: IncomingMessage, response: ServerResponse) => unknown,
  request: IncomingMessage,
  response: ServerResponse,
  drainMs: number,
): void {
  const declared = request.headers['content-length']
  const chunked = declared === undefined && request.headers['transfer-encoding'] !== undefined
  if (!chunked && !(Number(declared ?? 0) > MAX_BODY_BYTES)) return void serveApi(request, response)
  readBounded(request, chunked ? MAX_BODY_BYTES + 1 : 0, drainMs).then(({ head, complete }) => {
    if (chunked) Object.assign(request, { rawBody: head })
    if (!complete) closeAfterAnswerLingering(request, response)
    serveApi(request, response)
  })
}

/**
 * Reads a request body, keeping its first `keepBytes` bytes and discarding the rest, up to
 * OVERSIZED_BODY_DRAIN_BYTES in all and OVERSIZED_BODY_DRAIN_MS of discarding (a body within `keepBytes` takes as
 * long as Node's own request timeout allows, as it would in the app). `complete` is false when it stopped at a bound
 * (or the body broke off): then the connection cannot carry another request.
 */
function readBounded(
  request: IncomingMessage,
  keepBytes: number,
  drainMs: number,
): Promise<{ head: Buffer; complete: boolean }> {
  return new Promise((resolve) => {
    const kept: Buffer[] = []
    let keptBytes = 0
    let totalBytes = 0
    let drainClock: ReturnType<typeof setTimeout> | undefined
    const finish = (complete: boolean) => {
      clearTimeout(drainClock)
      request.off('data', onData)
      // Past a bound the connection closes after the answer; until then what still arrives is read and dropped
      // (closeAfterAnswerLingering), never left unread: unread bytes turn the close into a reset.
      if (!complete) request.on('data', discard)
      resolve({ head: Buffer.concat(kept, keptBytes), complete })
    }
    const startDrainClock = () => {
      drainClock ??= setTimeout(() => finish(false), drainMs)
    }
    const onData = (chunk: Buffer) => {
      totalBytes += chunk.length
      if (keptBytes < keepBytes) {
        const part = chunk.subarray(0, keepBytes - keptBytes)
        kept.push(part)
        keptBytes += part.length
      }
      if (totalBytes > keepBytes) startDrainClock()
      if (totalBytes > OVERSIZED_BODY_DRAIN_BYTES) finish(false)
    }
    if (keepBytes === 0) startDrainClock()
    request.on('data', onData)
    request.once('end', () => finish(true))
    request.once('error', () => finish(false))
  })
}

const discard = () => {}

/** How long a connection closed while its client is still sending keeps reading (and dropping) after the answer. */
const LINGER_MS = 2_000

/**
 * Answers with `Connection: close`, and closes the way RFC 9112 §9.6 asks of a server that stops reading a body
 * mid-way ("lingering close"): Node ends such a connection with destroySoon() as soon as the answer is written,
 * and closing a socket with unread bytes sends a reset, which can make the client drop the 413 before reading it
 * (it failed one of two CI runs). Here the write side is ended, what still arrives is dropped, and the socket is
 * destroyed when the client closes, or after LINGER_MS.
 */
function closeAfterAnswerLingering(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('Connection', 'close')
  const socket = request.socket
  socket.destroySoon = () => {
    socket.end()
    const linger = setTimeout(() => socket.destroy(), LINGER_MS)
    linger.unref()
    socket.once('close', () => clearTimeout(linger))
    socket.once('end', () => socket.destroy())
  }
}

/** What the Hono app serves: its base path is `/api`, less the docs' static files, which Next serves from public/. */
function isApiPath(url: string): boolean {
  if (!(url === '/api' || url.startsWith('/api/') || url.startsWith('/api?'))) return false
  const query = url.indexOf('?')
  return !Object.hasOwn(API_DOCS_FILES, query < 0 ? url : url.slice(0, query))
}

/**
 * The answers still being written on each connection. Pipelined requests share one: a parser error on a later one
 * must wait for the answers of those before it, or its problem would go out first and the connection close on them.
 */
const answersInFlight = new WeakMap<Socket, { count: number; whenIdle: (() => void)[] }>()

function trackAnswer(socket: Socket, response: ServerResponse): void {
  const inFlight = answersInFlight.get(socket) ?? { count: 0, whenIdle: [] }
  answersInFlight.set(socket, inFlight)
  inFlight.count += 1
  response.once('close', () => {
    inFlight.count -= 1
    if (inFlight.count === 0) for (const run of inFlight.whenIdle.splice(0)) run()
  })
}

function afterAnswersInFlight(socket: Socket, run: () => void): void {
  const state = answersInFlight.get(socket)
  if (state && state.count > 0) state.whenIdle.push(run)
  else run()
}

/** A Host that is missing, repeated or no host at all: the request cannot be placed on a site (RFC 9112 §3.2). */
function invalidHost(request: IncomingMessage): Problem | undefined {
  const fault = hostFault(request.rawHeaders)
  if (!fault) return undefined
  return new Problem({
    status: 400,
    slug: 'invalid-host',
    title: 'Invalid Host',
    detail: {
      missing: 'The request has no Host header; send the host name (and port) the request is for.',
      repeated: 'The request has more than one Host header; send exactly one.',
      malformed: 'The Host header is not a host name or address with an optional port.',
    }[fault],
  })
}

/**
 * What Node's HTTP parser refuses never reaches a handler: answer it as a problem, then close the connection;
 * after the answers to the requests before it on the same connection, which were read whole and are answered first.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy()
  afterAnswersInFlight(socket, () => {
    if (socket.writable) writeRawProblem(socket, clientErrorProblem(error))
    else socket.destroy()
  })
}

function clientErrorProblem(error: Error & { code?: string }): Problem {
  return error.code === 'HPE_HEADER_OVERFLOW'
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
