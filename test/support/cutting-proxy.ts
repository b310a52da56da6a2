/**
 * A TCP proxy in front of Postgres that, once armed, forwards the next chunk carrying a marker and then cuts the
 * client's side: the statement reaches Postgres and runs, but its answer is lost on the way back. The moment at which
 * a retry would repeat a write.
 */

import type { AddressInfo } from 'node:net'
import { connect, createServer, type Socket } from 'node:net'

export interface CuttingProxy {
  port: number
  /** The next client chunk containing `marker` is forwarded in full, then the client's connection is cut. */
  cutAfterForwarding(marker: string): void
  /** How many connections were cut so far. */
  cuts(): number
  close(): Promise<void>
}

export async function startCuttingProxy(target: { host: string; port: number }): Promise<CuttingProxy> {
  let armed: Buffer | undefined
  let cuts = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host)
    sockets.add(client).add(upstream)
    let cut = false
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(armed)) {
        armed = undefined
        cuts += 1
        cut = true
        // end() flushes the chunk before closing, so Postgres reads (and runs) the whole request.
        upstream.end(chunk)
        client.destroy()
        return
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (!cut) client.write(chunk)
    })
    const closeBoth = () => {
      if (!cut) upstream.destroy()
      client.destroy()
    }
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    client.on('error', () => undefined)
    upstream.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    cutAfterForwarding(marker) {
      armed = Buffer.from(marker)
    },
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
