/**
 * The benchmarks' far database: our SQL-over-HTTP gateway with its simulated distance (LOCAL_SQL_LATENCY_MS, here
 * its `simulatedLatencyMs` option), behind a loopback endpoint that times every request it serves.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'

export interface DatabaseRequests {
  /** Requests the database served. */
  total: number
  /**
   * The most of them that ran one after another, each starting after the previous one ended: the round trips a
   * caller waited for in turn. Requests sent together (a `Promise.all`) overlap and count once here.
   */
  serial: number
}

export interface DistantDatabase {
  /** The endpoint to give the app as SQL_GATEWAY_ENDPOINT. */
  url: string
  /** The round trip each SQL request costs; changeable between measurements (one gateway per distance). */
  roundTripMs: number
  /** The requests that started at or after `since` (a `performance.now()` of this process). */
  requestsSince(since: number): DatabaseRequests
  close(): Promise<void>
}

/**
 * Starts the endpoint on a free loopback port. Each distance gets a gateway of its own, started on first use with
 * `simulatedLatencyMs`, which adds half the round trip before a request runs and half after; every gateway serves
 * the same real Postgres (the connection string travels with each request), so the data is the same at every
 * distance. The endpoint hands each request to the gateway in this process, as the production server does.
 */
export async function startDistantDatabase(options: { roundTripMs: number }): Promise<DistantDatabase> {
  let roundTripMs = options.roundTripMs
  const gateways = new Map<number, Promise<SqlGateway>>()
  const gatewayAt = (ms: number) => {
    let gateway = gateways.get(ms)
    if (!gateway) {
      gateway = startSqlGateway({ port: 0, host: '127.0.0.1', simulatedLatencyMs: ms })
      gateways.set(ms, gateway)
    }
    return gateway
  }
  const served: { start: number; end: number }[] = []

  const server = createServer((req, res) => {
    const start = performance.now()
    void (async () => {
      const body = await readBody(req)
      const gateway = await gatewayAt(roundTripMs)
      const reply = await gateway.fetch(gateway.url, {
        method: req.method ?? 'POST',
        headers: plainHeaders(req),
        body,
      })
      const text = await reply.text()
      res.writeHead(reply.status, Object.fromEntries(reply.headers.entries()))
      res.end(text)
      served.push({ start, end: performance.now() })
    })().catch((error: unknown) => {
      res.writeHead(500, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ message: `bench endpoint failed: ${(error as Error).message}` }))
    })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/sql`,
    get roundTripMs() {
      return roundTripMs
    },
    set roundTripMs(ms: number) {
      if (!Number.isInteger(ms) || ms < 0) throw new Error(`roundTripMs must be a whole 0 or more, not ${ms}`)
      roundTripMs = ms
    },
    requestsSince(since) {
      const requests = served.filter((request) => request.start >= since)
      return { total: requests.length, serial: longestChain(requests) }
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await Promise.all([...gateways.values()].map(async (gateway) => (await gateway).close()))
    },
  }
}

/**
 * The largest set of requests no two of which overlap in time: taking, again and again, the one that ends first
 * among those starting after the last taken one ended is optimal (interval scheduling), and such a set is a chain.
 */
export function longestChain(requests: readonly { start: number; end: number }[]): number {
  let chain = 0
  let lastEnd = Number.NEGATIVE_INFINITY
  for (const request of [...requests].sort((a, b) => a.end - b.end)) {
    if (request.start >= lastEnd) {
      chain += 1
      lastEnd = request.end
    }
  }
  return chain
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** The request's headers as the driver sends them: one string per name (Node lower-cases the names). */
function plainHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value
    else if (Array.isArray(value) && value[0] !== undefined) headers[name] = value[0]
  }
  return headers
}
