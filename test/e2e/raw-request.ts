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
