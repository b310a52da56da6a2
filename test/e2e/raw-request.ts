/** A request written as raw lines, for what fetch refuses to send (TRACE, CONNECT, odd methods). */
import { connect } from 'node:net'

/** Sends a request as raw lines (fetch refuses TRACE and CONNECT) and returns what came back before the server closed. */
export function rawRequest(baseUrl: string, lines: string[]): Promise<string> {
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let answer = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      answer += chunk
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(answer))
    // Keep-alive answers leave the socket open: stop once nothing more comes.
    socket.setTimeout(3_000, () => socket.destroy())
    socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  })
}

/** What came back on one connection, and how it ended. */
export interface ConnectionTranscript {
  /** Everything received, as latin1 text. */
  received: string
  /** The socket error that ended it (`ECONNRESET` for a reset), if any. */
  error: string | undefined
  /** The status codes of the answers received, in order. */
  statuses: number[]
}

/**
 * Sends a request whose body of `bodyBytes` bytes goes either with a declared length or chunked, then (if the
 * connection is still open half a second after the body was sent) `next` on the same connection; returns what
 * came back until the server closed it or nothing more came for 3 s.
 */
export function sendBodyThenAsk(
  baseUrl: string,
  head: string[],
  body: { bytes: number; chunked: boolean },
  next: string[],
): Promise<ConnectionTranscript> {
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    let received = ''
    let error: string | undefined
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      received += chunk
    })
    socket.on('error', (failure: NodeJS.ErrnoException) => {
      error = failure.code ?? failure.message
    })
    socket.on('close', () => {
      const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]))
      resolve({ received, error, statuses })
    })
    socket.setTimeout(3_000, () => socket.destroy())
    const piece = Buffer.alloc(64 * 1024, 'a')
    const writeAll = async () => {
      const framing = body.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.bytes}`
      socket.write(`${[...head, framing].join('\r\n')}\r\n\r\n`)
      for (let sent = 0; sent < body.bytes && !socket.destroyed; sent += piece.length) {
        const part = piece.subarray(0, Math.min(piece.length, body.bytes - sent))
        if (body.chunked) socket.write(`${part.length.toString(16)}\r\n`)
        let flushed = socket.write(part)
        if (body.chunked) flushed = socket.write('\r\n')
        if (!flushed) {
          await new Promise((drained) => {
            socket.once('drain', drained)
            socket.once('close', drained)
          })
        }
      }
      if (body.chunked && !socket.destroyed) socket.write('0\r\n\r\n')
      await new Promise((wait) => setTimeout(wait, 500))
      if (!socket.destroyed && socket.writable) socket.write(`${next.join('\r\n')}\r\n\r\n`)
    }
    void writeAll().catch((failure: NodeJS.ErrnoException) => {
      error = failure.code ?? failure.message
    })
  })
}
