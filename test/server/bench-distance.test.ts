/** The benchmark's distance makers: the delaying TCP proxy and the count of serial database round trips. */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { type DelayingProxy, startDelayingProxy } from '../../scripts/lib/delaying-proxy'
import { longestChain } from '../../scripts/lib/distant-database'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A TCP server answering each connection with `serve`, closed after the test. */
async function tcpServer(serve: (socket: Socket) => void): Promise<number> {
  const server: Server = createServer(serve)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as AddressInfo).port
}

async function proxyTo(port: number, oneWayMs: number): Promise<DelayingProxy> {
  const proxy = await startDelayingProxy({ host: '127.0.0.1', port }, { oneWayMs })
  cleanups.push(() => proxy.close())
  return proxy
}

/** Connects through the proxy, writes `chunks`, and resolves with everything read until the far side ends. */
function exchange(port: number, chunks: string[], endAfterWriting = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (data: Buffer) => {
      received += data.toString()
    })
    socket.on('end', () => resolve(received))
    socket.on('error', reject)
    for (const chunk of chunks) socket.write(chunk)
    if (endAfterWriting) socket.end()
  })
}

describe('the delaying proxy', () => {
  it('passes every byte both ways, in order, and the end after the last of them', async () => {
    const port = await tcpServer((socket) => {
      let seen = ''
      socket.on('data', (data: Buffer) => {
        seen += data.toString()
      })
      socket.on('end', () => socket.end(`echo:${seen}`))
    })
    const proxy = await proxyTo(port, 5)
    const chunks = Array.from({ length: 50 }, (_, i) => `<${i}>`)

    expect(await exchange(proxy.port, chunks, true)).toBe(`echo:${chunks.join('')}`)
  })

  it('holds each direction for the one-way delay, so a request and its answer cost one added round trip', async () => {
    const port = await tcpServer((socket) => socket.once('data', () => socket.end('answer')))
    const proxy = await proxyTo(port, 60)

    const started = performance.now()
    expect(await exchange(proxy.port, ['question'])).toBe('answer')
    // Timers never fire early by more than the clock's millisecond rounding.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 60 - 2)
  })

  it('applies a changed delay to the data that comes after the change', async () => {
    const port = await tcpServer((socket) => socket.once('data', () => socket.end('answer')))
    const proxy = await proxyTo(port, 0)
    proxy.oneWayMs = 80

    const started = performance.now()
    await exchange(proxy.port, ['question'])
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 80 - 2)
    expect(() => {
      proxy.oneWayMs = -1
    }).toThrow(/0 or more/)
  })

  it('closes the client when the server cannot be reached', async () => {
    const closedPort = await tcpServer(() => undefined)
    const proxy = await proxyTo(closedPort, 0)
    await cleanups.splice(0, 1)[0]?.() // close the target server, keep the proxy

    const outcome = await new Promise<string>((resolve) => {
      const socket = connect(proxy.port, '127.0.0.1')
      socket.on('close', () => resolve('closed'))
      socket.on('error', () => undefined)
    })
    expect(outcome).toBe('closed')
  })
})

describe('serial database round trips', () => {
  it('counts requests sent one after another each, and requests that overlap once', () => {
    const sequential = [
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 25, end: 30 },
    ]
    const together = [
      { start: 0, end: 10 },
      { start: 1, end: 11 },
    ]
    expect(longestChain(sequential)).toBe(3)
    expect(longestChain(together)).toBe(1)
    // Two sent together, then one after both: two waits in turn.
    expect(longestChain([...together, { start: 12, end: 20 }])).toBe(2)
    expect(longestChain([])).toBe(0)
  })
})
