/**
 * The one place that decides who the client is: the socket's peer, or the address trusted proxies say they
 * forwarded for (TRUST_PROXY). Every request leaves here with `X-Forwarded-For` holding exactly that address, so
 * the app (which reads it, as it reads Vercel's) and Next's pages see the same client and nobody can choose it.
 */
import type { IncomingMessage } from 'node:http'
import proxyAddr from 'proxy-addr'
import type { TrustProxy } from './config'

/** Headers only a trusted proxy may set; from anyone else they are dropped (X-Forwarded-For is rewritten). */
const DROPPED_FROM_STRANGERS = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'forwarded',
  'x-real-ip',
])

/** From a trusted proxy, only X-Forwarded-For is rewritten; the others it set pass. */
const DROPPED_FROM_PROXIES = new Set(['x-forwarded-for'])

export function createClientAddressRewriter(trust: TrustProxy): (request: IncomingMessage) => string {
  const isTrusted = compileTrust(trust)
  return (request) => {
    const peer = request.socket.remoteAddress ?? ''
    // Trusting no proxy, the client is the peer: proxy-addr would parse X-Forwarded-For only to ignore it.
    const address = trust.kind === 'none' ? peer : proxyAddr(request, isTrusted)
    const dropped = isTrusted(peer, 0) ? DROPPED_FROM_PROXIES : DROPPED_FROM_STRANGERS
    request.headers['x-forwarded-for'] = address
    for (const name of dropped) if (name !== 'x-forwarded-for') delete request.headers[name]
    // Both views of the headers: Next reads `headers`, @hono/node-server builds its Request from `rawHeaders`.
    const raw: string[] = []
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i] as string
      if (!dropped.has(name.toLowerCase())) raw.push(name, request.rawHeaders[i + 1] as string)
    }
    raw.push('X-Forwarded-For', address)
    request.rawHeaders = raw
    return address
  }
}

function compileTrust(trust: TrustProxy): (address: string, hop: number) => boolean {
  switch (trust.kind) {
    case 'none':
      return () => false
    case 'hops':
      return (_address, hop) => hop < trust.hops
    case 'addresses':
      return proxyAddr.compile(trust.addresses)
  }
}
