/** A TCP proxy that holds every byte, each way, for a set time: the distance between a client and a server, on one machine. */
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net'

export interface DelayingProxy {
  /** `http://127.0.0.1:PORT`: where a client connects instead of the target. */
  origin: string
  port: number
  /**
   * Milliseconds each direction's data waits before it is passed on, so one request/response exchange costs one
   * added round trip (twice this). Changeable between measurements; data already on its way keeps its time.
   */
  oneWayMs: number
  /** Connections the proxy has accepted so far: a client that reuses its connection pays no new one. */
  readonly connections: number
  close(): Promise<void>
}

/**
 * Starts the proxy on a free loopback port. Only the data is delayed: the TCP handshake with the proxy completes at
 * once, so a new connection costs no added round trip here (a real one costs one, and TLS another); clients that
 * keep their connections alive, as browsers and `fetch` do, are measured as they would be once connected.
 */
export async function startDelayingProxy(
  target: { host: string; port: number },
  options: { oneWayMs: number },
): Promise<DelayingProxy> {
  let oneWayMs = options.oneWayMs
  let connections = 0
  const open = new Set<Socket>()

  // Half-open on both sides: a side that finished sending may still be owed an answer, and only a close ends both.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    connections += 1
    const upstream = createConnection({ ...target, allowHalfOpen: true })
    for (const socket of [client, upstream]) {
      open.add(socket)
      socket.once('close', () => open.delete(socket))
    }
    // Each direction keeps its own queue: bytes leave in the order they came, whatever the delay was when they came.
    relay(client, upstream, () => oneWayMs)
    relay(upstream, client, () => oneWayMs)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    get oneWayMs() {
      return oneWayMs
    },
    set oneWayMs(ms: number) {
      if (!(ms >= 0)) throw new Error(`oneWayMs must be 0 or more, not ${ms}`)
      oneWayMs = ms
    },
    get connections() {
      return connections
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * Passes `from`'s data, its end and its close on to `to`, each after the delay and in the order they happened: the
 * far side sees a connection end only after the last of its data has arrived.
 */
function relay(from: Socket, to: Socket, delayMs: () => number): void {
  type Event = { kind: 'data'; chunk: Buffer } | { kind: 'end' } | { kind: 'close' }
  const queue: { dueAt: number; event: Event }[] = []
  let timer: NodeJS.Timeout | undefined

  const deliver = () => {
    timer = undefined
    const now = performance.now()
    while (queue.length > 0 && (queue[0]?.dueAt ?? 0) <= now) {
      const { event } = queue.shift() as { event: Event }
      if (to.destroyed) return
      if (event.kind === 'data') to.write(event.chunk)
      else if (event.kind === 'end') to.end()
      else to.destroy()
    }
    schedule()
  }
  const schedule = () => {
    const next = queue[0]
    if (next === undefined || timer !== undefined) return
    timer = setTimeout(deliver, Math.max(0, next.dueAt - performance.now()))
  }
  const enqueue = (event: Event) => {
    queue.push({ dueAt: performance.now() + delayMs(), event })
    schedule()
  }

  from.on('data', (chunk: Buffer) => enqueue({ kind: 'data', chunk }))
  from.on('end', () => enqueue({ kind: 'end' }))
  // An error is followed by 'close'; the far side learns of either only after the delay, as it would at a distance.
  from.on('error', () => undefined)
  from.on('close', () => enqueue({ kind: 'close' }))
}
