/**
 * For `next start`, where no code of ours sees a request before Next routes it: every Node HTTP server of the
 * process serves an absolute-form request target (`GET http://evil.example/login HTTP/1.1`) as the path it
 * carries, as the production server does (server/request-target.ts). Next's own answer to one is a 308 to the
 * host the client named (decision 0029). Installed by next.config.ts, which `next start` loads in the process that
 * serves; installing it twice is harmless.
 */
import { type IncomingMessage, Server } from 'node:http'
import { originFormOf } from './request-target'

let installed = false

export function serveAbsoluteFormAsPath(): void {
  if (installed) return
  installed = true
  const emit = Server.prototype.emit
  // The prototype's, so it covers the server Next created before this hook ran: Node emits 'request' on it per request.
  Server.prototype.emit = function emitWithOriginForm(
    this: Server,
    event: string | symbol,
    ...args: unknown[]
  ) {
    if (event === 'request') {
      const request = args[0] as IncomingMessage
      if (request.url !== undefined && !request.url.startsWith('/')) request.url = originFormOf(request.url)
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean
  } as typeof emit
}
