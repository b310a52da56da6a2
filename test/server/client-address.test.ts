/** Who the production server says the client is, through a real HTTP server and real sockets. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createClientAddressRewriter } from '../../server/client-address'
import { readServerConfig, type TrustProxy } from '../../server/config'

let server: Server | undefined

afterEach(async () => {
  const closing = server
  server = undefined
  if (!closing) return
  closing.closeAllConnections()
  await new Promise((resolve) => closing.close(resolve))
})

/** Sends `headers` to a server that rewrites with `trust`, and returns the headers both views then hold. */
async function seenBehind(trust: TrustProxy, headers: Record<string, string>) {
  const rewrite = createClientAddressRewriter(trust)
  server = createServer((request, response) => {
    const address = rewrite(request)
    const raw: Record<string, string> = {}
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      raw[(request.rawHeaders[i] as string).toLowerCase()] = request.rawHeaders[i + 1] as string
    }
    response.end(JSON.stringify({ address, parsed: request.headers, raw }))
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers })
  return (await response.json()) as {
    address: string
    parsed: Record<string, string | undefined>
    raw: Record<string, string | undefined>
  }
}

describe('the client address (TRUST_PROXY)', () => {
  it('is the socket peer with no trust, whatever X-Forwarded-For says, and drops the other forwarded headers', async () => {
    const seen = await seenBehind(
      { kind: 'none' },
      { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https', 'X-Real-IP': '203.0.113.10' },
    )
    expect(seen.address).toMatch(/^(::ffff:)?127\.0\.0\.1$/)
    for (const view of [seen.parsed, seen.raw]) {
      expect(view['x-forwarded-for']).toBe(seen.address)
      expect(view['x-forwarded-proto']).toBeUndefined()
      expect(view['x-real-ip']).toBeUndefined()
    }
  })

  it('is the entry the trusted hops appended, and keeps what a trusted proxy says of the protocol', async () => {
    const seen = await seenBehind(
      { kind: 'hops', hops: 1 },
      { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7', 'X-Forwarded-Proto': 'https' },
    )
    expect(seen.address).toBe('203.0.113.7')
    expect(seen.raw['x-forwarded-for']).toBe('203.0.113.7')
    expect(seen.parsed['x-forwarded-proto']).toBe('https')
    expect(seen.raw['x-forwarded-proto']).toBe('https')
  })

  it('keeps every other header in both views, once', async () => {
    for (const trust of [{ kind: 'none' }, { kind: 'hops', hops: 1 }] as const) {
      const seen = await seenBehind(trust, { 'X-Custom': 'kept', Accept: 'application/json' })
      for (const view of [seen.parsed, seen.raw]) {
        expect(view['x-custom'], trust.kind).toBe('kept')
        expect(view.accept, trust.kind).toBe('application/json')
        expect(view.host, trust.kind).toMatch(/^127\.0\.0\.1:\d+$/)
      }
      await new Promise<void>((resolve) => {
        const closing = server
        server = undefined
        closing?.closeAllConnections()
        closing?.close(() => resolve())
      })
    }
  })

  it('walks back through listed proxies and stops at the first address not on the list', async () => {
    const seen = await seenBehind(
      { kind: 'addresses', addresses: ['loopback', '10.0.0.0/8'] },
      { 'X-Forwarded-For': '203.0.113.5, 198.51.100.4, 10.1.2.3' },
    )
    expect(seen.address).toBe('198.51.100.4')
  })
})

describe('the server settings', () => {
  it('take --port and --hostname over PORT and HOSTNAME, and default to every interface on 3000', () => {
    expect(readServerConfig([], {})).toMatchObject({
      port: 3000,
      hostname: '0.0.0.0',
      trustProxy: { kind: 'none' },
    })
    expect(
      readServerConfig(['--port', '4210', '-H', '127.0.0.1'], { PORT: '5000', HOSTNAME: 'box' }),
    ).toMatchObject({ port: 4210, hostname: '127.0.0.1' })
    expect(readServerConfig([], { PORT: '5000', HOSTNAME: '::1' })).toMatchObject({
      port: 5000,
      hostname: '::1',
    })
  })

  it('read TRUST_PROXY as none, a number of hops or a list, and refuse "true", which would trust anyone', () => {
    expect(readServerConfig([], { TRUST_PROXY: '2' }).trustProxy).toEqual({ kind: 'hops', hops: 2 })
    expect(readServerConfig([], { TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual({
      kind: 'addresses',
      addresses: ['loopback', '10.0.0.0/8'],
    })
    expect(() => readServerConfig([], { TRUST_PROXY: 'true' })).toThrow(
      /TRUST_PROXY: true would believe any client/,
    )
    expect(() => readServerConfig(['--port', 'http'], {})).toThrow(/PORT/)
  })
})
