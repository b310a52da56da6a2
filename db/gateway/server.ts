/** The SQL-over-HTTP gateway: one HTTP route, `POST /sql`, answered as Neon's proxy answers it. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { EMBEDDED_DATABASE_HOST } from '../database-url'
import type {
  BatchOptions,
  ConnectionTarget,
  IsolationLevel,
  PoolStats,
  SqlBackend,
} from './backends/backend'
import { createPostgresBackend } from './backends/postgres'
import { parseConnectionString } from './connection-string'
import { cancelledError, EndpointError, errorBody, PostgresError } from './errors'
import { renderResult } from './render'
import { parseRequestBody } from './request-body'

/** Neon's default request and response limits (10 MiB each). */
export const NEON_MAX_BYTES = 10 * 1024 * 1024

export interface SqlGatewayOptions {
  /** TCP port; 0 picks a free one. */
  port?: number
  host?: string
  /** The embedded PGlite database: a `dataDir` keeps data across restarts; omit it for an in-memory database. */
  embedded?: { dataDir?: string }
  /** Connections per real Postgres database. */
  poolSize?: number
  /** Real Postgres only: statements running longer are cancelled by Postgres (0 = no limit, Neon's default). */
  statementTimeoutMs?: number
  /** Real Postgres only: how long a request may wait for a connection before Neon's 500 (0 = forever). */
  poolTimeoutMs?: number
  maxRequestBytes?: number
  maxResponseBytes?: number
  /**
   * Milliseconds added to every SQL request (half before it runs, half after), as if the database were that far
   * away: LOCAL_SQL_LATENCY_MS, for development and benchmarks only (refused in production by the config).
   */
  simulatedLatencyMs?: number
}

export interface SqlGateway {
  /** The URL to give `neonConfig.fetchEndpoint`, e.g. `http://127.0.0.1:4444/sql`. */
  url: string
  port: number
  /**
   * The same endpoint without a socket: a `fetch` for the driver's `fetchFunction` in this process. It answers
   * exactly as the HTTP route does, and rejects with the signal's reason when the caller aborts (the statement is
   * cancelled, as when an HTTP client goes away).
   */
  fetch(url: string, init: RequestInit): Promise<Response>
  /** The real-Postgres pool's connections in use, idle and waited for (the embedded database has no pool). */
  poolStats(): PoolStats
  close(): Promise<void>
}

/** One request of the protocol, whatever carried it (a socket, or a call in this process). */
interface SqlRequest {
  path: string
  method: string
  header(name: string): string | undefined
  /** The body, or the endpoint's error for a body it could not read (too large, cut off). */
  readBody(): Promise<string>
  /** Aborted when the client goes away: queued requests are skipped, running ones cancelled or rolled back. */
  signal: AbortSignal
}

interface SqlAnswer {
  status: number
  body: string
  headers?: Record<string, string>
}

const ISOLATION_LEVELS = new Set(['ReadUncommitted', 'ReadCommitted', 'RepeatableRead', 'Serializable'])

/** Starts the endpoint and resolves once it listens (the embedded database starts with its first request). */
export async function startSqlGateway(options: SqlGatewayOptions = {}): Promise<SqlGateway> {
  const maxRequestBytes = options.maxRequestBytes ?? NEON_MAX_BYTES
  const maxResponseBytes = options.maxResponseBytes ?? NEON_MAX_BYTES
  // Started on first use: a server in front of a real Postgres never pays PGlite's seconds and hundreds of MiB.
  let embedded: Promise<SqlBackend> | undefined
  const embeddedBackend = () => {
    embedded ??= import('./backends/pglite').then(({ createPgliteBackend }) =>
      createPgliteBackend({ dataDir: options.embedded?.dataDir }),
    )
    // A failed start is tried again by the next request rather than remembered forever.
    embedded.catch(() => {
      embedded = undefined
    })
    return embedded
  }
  const postgres = createPostgresBackend({
    poolSize: options.poolSize ?? 10,
    statementTimeoutMs: options.statementTimeoutMs ?? 0,
    poolTimeoutMs: options.poolTimeoutMs ?? DEFAULT_POOL_TIMEOUT_MS,
  })

  // Every request names its database again; an app names one or two. Parsing (URL, decoding) once each saves
  // work on every request, and the bound keeps a client that varies it from growing this without end.
  const targets = new Map<string, ConnectionTarget>()
  function targetOf(connectionString: string | undefined): ConnectionTarget {
    const known = connectionString === undefined ? undefined : targets.get(connectionString)
    if (known) return known
    const target = parseConnectionString(connectionString)
    if (targets.size >= 64) targets.clear()
    targets.set(connectionString as string, target)
    return target
  }

  const distance = options.simulatedLatencyMs ?? 0
  async function answer(request: SqlRequest): Promise<SqlAnswer> {
    if (distance === 0) return answerNearby(request)
    await sleep(distance / 2)
    const reply = await answerNearby(request)
    await sleep(distance / 2)
    return reply
  }

  async function answerNearby(request: SqlRequest): Promise<SqlAnswer> {
    if (request.path !== '/sql' || request.method !== 'POST') return json(400, 'query is not supported')
    try {
      const body = await request.readBody()
      const target = targetOf(request.header('neon-connection-string'))
      const { statements, isBatch, arrayModes } = parseRequestBody(body)
      const batch = isBatch ? readBatchOptions(request.header) : null
      const backend: SqlBackend = target.host === EMBEDDED_DATABASE_HOST ? await embeddedBackend() : postgres
      const results =
        isBatch && statements.length === 0
          ? []
          : await backend.run({ target, statements, batch, signal: request.signal })
      const arrayModeHeader = request.header('neon-array-mode') === 'true'
      const rawText = request.header('neon-raw-text-output') === 'true'
      const rendered = results.map((result, i) =>
        renderResult(result, { arrayMode: arrayModes[i] ?? arrayModeHeader, rawText }),
      )
      const reply = JSON.stringify(isBatch ? { results: rendered } : rendered[0])
      if (Buffer.byteLength(reply) > maxResponseBytes) {
        throw new EndpointError(507, `response is too large (max is ${maxResponseBytes} bytes)`)
      }
      return { status: 200, body: reply, headers: batchEchoHeaders(batch) }
    } catch (error) {
      return errorAnswer(error)
    }
  }

  const allowedHosts = new Set(['127.0.0.1', 'localhost', '::1', options.host ?? '127.0.0.1'])
  const server = createServer((req, res) => {
    serveHttp(req, res).catch((error: unknown) => {
      // Last resort: whatever went wrong, this request gets an answer and the server keeps serving.
      if (!res.headersSent) send(res, errorAnswer(error))
      else res.destroy()
    })
  })
  // Longer than any client keeps an idle connection, so a client never reuses one we are closing.
  server.keepAliveTimeout = 65_000

  async function serveHttp(req: IncomingMessage, res: ServerResponse) {
    // Unlike Neon's proxy, no browser may use this endpoint: it runs SQL as whoever the connection string names,
    // on this machine. Browsers always send Origin on a cross-origin POST, and a DNS-rebinding page sends its own
    // host name: either is refused, and no CORS header is ever sent. The driver (Node, edge) sends neither.
    const path = (req.url ?? '').split('?')[0] ?? ''
    if (
      path === '/sql' &&
      (req.headers.origin !== undefined || !allowedHosts.has(hostName(req.headers.host)))
    ) {
      return send(res, json(403, errorBody('the gateway serves only local, non-browser clients', {})))
    }
    // The client going away aborts the work. A fetch client never half-closes, so the socket ending before our
    // reply means the client is gone.
    const abort = new AbortController()
    const clientGone = () => abort.abort()
    req.socket.once('end', clientGone)
    res.once('close', () => {
      req.socket.off('end', clientGone)
      if (!res.writableFinished) abort.abort()
    })
    const reply = await answer({
      path,
      method: req.method ?? 'GET',
      header: (name) => header(req, name),
      readBody: () => readBody(req, maxRequestBytes),
      signal: abort.signal,
    })
    if (!res.destroyed) send(res, reply)
  }

  async function fetchInProcess(url: string, init: RequestInit): Promise<Response> {
    const signal = init.signal ?? undefined
    signal?.throwIfAborted()
    const header = headerReader(init.headers)
    const body = typeof init.body === 'string' ? init.body : ''
    const reply = answer({
      // The path, without a URL parse per request: the driver sends the endpoint's URL as configured.
      path: url.replace(/^[a-z]+:\/\/[^/]*/i, '').split('?')[0] ?? '',
      method: init.method ?? 'GET',
      header,
      readBody: async () => {
        if (Buffer.byteLength(body) > maxRequestBytes) {
          throw new EndpointError(413, `request is too large (max is ${maxRequestBytes} bytes)`)
        }
        return body
      },
      signal: signal ?? new AbortController().signal,
    })
    if (!signal) return answerAsResponse(await reply)
    // Like a real fetch, an abort settles the call at once; the backend cancels the statement meanwhile.
    let onAbort: () => void = () => undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return answerAsResponse(await Promise.race([reply, aborted]))
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/sql`,
    port,
    fetch: fetchInProcess,
    poolStats: () => postgres.poolStats?.() ?? { inUse: 0, idle: 0, waiting: 0 },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await Promise.all([embedded?.then((backend) => backend.close()), postgres.close()])
    },
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** How long a request waits for a Postgres connection by default: well inside the app's 10 s deadline. */
export const DEFAULT_POOL_TIMEOUT_MS = 5000

function readBatchOptions(header: SqlRequest['header']): BatchOptions {
  const isolation = header('neon-batch-isolation-level')
  if (isolation !== undefined && !ISOLATION_LEVELS.has(isolation)) {
    throw new EndpointError(400, 'invalid isolation level')
  }
  return {
    isolationLevel: isolation as IsolationLevel | undefined,
    readOnly: header('neon-batch-read-only') === 'true',
    deferrable: header('neon-batch-deferrable') === 'true',
  }
}

/** Neon echoes the effective batch settings on a batch reply. */
function batchEchoHeaders(batch: BatchOptions | null): Record<string, string> {
  if (!batch) return {}
  const echo: Record<string, string> = {
    'Neon-Batch-Read-Only': String(batch.readOnly),
    'Neon-Batch-Deferrable': String(batch.deferrable),
  }
  if (batch.isolationLevel) echo['Neon-Batch-Isolation-Level'] = batch.isolationLevel
  return echo
}

/**
 * Reads the body as UTF-8. Past the limit it stops keeping bytes but goes on draining (up to four times the
 * limit), so the client reads our 413 instead of a reset connection.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const tooLarge = () => new EndpointError(413, `request is too large (max is ${limit} bytes)`)
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      else if (size > limit * 4) {
        // Past four times the limit, stop reading: the connection goes, and this request is settled here, since
        // a destroyed stream never emits 'end'.
        req.destroy()
        reject(tooLarge())
      }
    })
    req.on('end', () => {
      if (size > limit) reject(tooLarge())
      else resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', reject)
    // A client that hangs up mid-body: nothing more will come (a no-op once the body was read).
    req.on('close', () => reject(cancelledError()))
  })
}

/** The host name of a Host header (`127.0.0.1:4444` → `127.0.0.1`, `[::1]:4444` → `::1`). */
function hostName(host: string | undefined): string {
  if (!host) return ''
  const bracketed = /^\[([^\]]+)\]/.exec(host)
  return bracketed?.[1] ?? host.replace(/:\d+$/, '')
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Reads the driver's request headers (a plain object, as it sends them) case-insensitively, without a Headers. */
function headerReader(headers: RequestInit['headers']): SqlRequest['header'] {
  if (!headers || headers instanceof Headers || Array.isArray(headers)) {
    const parsed = new Headers(headers)
    return (name) => parsed.get(name) ?? undefined
  }
  const byName = new Map<string, string>()
  for (const [name, value] of Object.entries(headers)) byName.set(name.toLowerCase(), value)
  return (name) => byName.get(name)
}

/**
 * An in-process answer in the shape the driver reads a fetch response (`ok`, `status`, `json()`, `text()`,
 * `headers`): undici's Response would put each small body through a web stream, a large share of a read's cost.
 */
function answerAsResponse({ status, body, headers = {} }: SqlAnswer): Response {
  const answer = {
    ok: status >= 200 && status < 300,
    status,
    get headers() {
      return new Headers({ ...headers, 'Content-Type': 'application/json' })
    },
    json: async () => JSON.parse(body) as unknown,
    text: async () => body,
  }
  return answer as unknown as Response
}

function errorAnswer(error: unknown): SqlAnswer {
  if (error instanceof PostgresError) return json(400, errorBody(error.message, error.fields))
  if (error instanceof EndpointError) {
    // A cancelled query is answered with just these two keys, as Neon does.
    if (error.code === '08P01') return json(error.status, { message: error.message, code: error.code })
    return json(error.status, errorBody(error.message, { code: error.code, severity: '' }))
  }
  return json(500, errorBody(`gateway failed: ${(error as Error).message}`, { code: '', severity: '' }))
}

function json(status: number, value: unknown): SqlAnswer {
  return { status, body: JSON.stringify(value) }
}

function send(res: ServerResponse, { status, body, headers = {} }: SqlAnswer) {
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  })
  res.end(body)
}
