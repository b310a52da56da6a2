/**
 * The production server's HTTP layer (server/http-server.ts), in-process over real sockets: `/api` to the real Hono
 * app, everything else to Next (here a stand-in that names what it was asked, since Next itself needs a build:
 * test/e2e/production-server.test.ts runs the whole server), problems for what Node refuses, and the drain.
 */
import { once } from 'node:events'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { createApp, MAX_BODY_BYTES } from '../../edge/app'
import { parseConfig } from '../../edge/env'
import { createProductionServer, drain, type ProductionServerOptions } from '../../server/http-server'
import { rawRequest } from '../e2e/raw-request'

const appConfig = {
  ...parseConfig({ JWT_SECRET: 'edgeline-test-secret-at-least-thirty-two-bytes' }),
  databaseUrl: inject('databaseUrl'),
  sqlGatewayEndpoint: inject('sqlEndpoint'),
}
const api = createApp(appConfig, { log: () => undefined })

/** Next's place: answers 200 with what it was asked, or fails as `failure` says. */
type NextStandIn = (request: IncomingMessage, response: ServerResponse) => Promise<void>
const answeringNext: NextStandIn = async (request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' })
  response.end(`next ${request.method} ${request.url} for ${request.headers['x-forwarded-for']}`)
}

let server: Server | undefined

afterEach(async () => {
  const closing = server
  server = undefined
  if (!closing?.listening) return
  closing.closeAllConnections()
  await new Promise((resolve) => closing.close(resolve))
})

async function start(
  next: NextStandIn = answeringNext,
  rewritten = '192.0.2.7',
  tune?: (server: Server) => void,
  options?: ProductionServerOptions,
) {
  server = createProductionServer(
    {
      api: api.fetch,
      next,
      rewriteClientAddress: (request) => {
        request.headers['x-forwarded-for'] = rewritten
        return rewritten
      },
    },
    options,
  )
  tune?.(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The status line, head and body of a raw answer (a chunked body de-chunked: it holds one JSON object). */
function parsed(answer: string) {
  const [head = '', ...rest] = answer.split('\r\n\r\n')
  const raw = rest.join('\r\n\r\n')
  const body = /transfer-encoding: chunked/i.test(head)
    ? raw.slice(raw.indexOf('{'), raw.lastIndexOf('}') + 1)
    : raw
  return { statusLine: head.split('\r\n')[0], head, body }
}

describe('the production server routes', () => {
  it('sends /api, /api/… and /api?… to the Hono app, and rewrites the client address first', async () => {
    const base = await start()
    for (const path of ['/api', '/api/', '/api?x=1', '/api/health']) {
      const response = await fetch(`${base}${path}`)
      expect(response.headers.get('x-request-id'), path).toBeTruthy()
      expect(await response.text(), path).not.toMatch(/^next /)
    }
  })

  it('sends pages, paths that only start like /api, and the API docs files to Next', async () => {
    const base = await start()
    for (const path of [
      '/',
      '/users',
      '/apix',
      '/api-docs',
      '/api/openapi.json',
      '/api/docs',
      '/api/docs?x=1',
    ]) {
      const response = await fetch(`${base}${path}`)
      expect(await response.text(), path).toBe(`next GET ${path} for 192.0.2.7`)
    }
  })

  it('answers a write to Next build output with a 405 problem naming GET and HEAD, and lets reads through', async () => {
    const base = await start()
    const refused = await fetch(`${base}/_next/static/chunks/app.js?v=1`, { method: 'POST' })
    expect(refused.status).toBe(405)
    expect(refused.headers.get('content-type')).toBe('application/problem+json')
    expect(refused.headers.get('allow')).toBe('GET, HEAD')
    // Answered before the app: no request id and no instance, but every member a problem of the app has.
    expect(await refused.json()).toEqual({
      type: '/problems/method-not-allowed',
      title: 'Method Not Allowed',
      status: 405,
      detail: 'POST is not supported here; use GET, HEAD.',
      instance: '',
      requestId: '',
    })
    expect((await fetch(`${base}/_next/static/chunks/app.js`)).status).toBe(200)
    expect((await fetch(`${base}/_next/static/chunks/app.js`, { method: 'HEAD' })).status).toBe(200)
    // Elsewhere a POST is Next's to judge.
    expect(await (await fetch(`${base}/_next/data/x`, { method: 'POST' })).text()).toBe(
      'next POST /_next/data/x for 192.0.2.7',
    )
  })

  it('answers a method Next never dispatches with 501 and a path that does not decode with 400, before Next', async () => {
    const base = await start()
    const trace = parsed(await rawRequest(base, ['TRACE /users HTTP/1.1', 'Host: x', 'Connection: close']))
    expect(trace.statusLine).toBe('HTTP/1.1 501 Not Implemented')
    expect(trace.head).toMatch(/content-type: application\/problem\+json/i)
    expect(JSON.parse(trace.body)).toMatchObject({ type: '/problems/method-not-implemented' })
    const malformed = await fetch(`${base}/users/%E0%A4%A`)
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toMatchObject({ type: '/problems/malformed-path' })
  })

  it('answers 500 as a problem when Next fails before answering, and cuts the connection when it fails after', async () => {
    const failures: unknown[] = []
    const error = console.error
    console.error = (...args: unknown[]) => void failures.push(args)
    try {
      const base = await start(async (request, response) => {
        if (request.url === '/late') {
          response.writeHead(200, { 'Content-Type': 'text/plain' })
          response.write('half')
        }
        throw new Error('next broke')
      })
      const early = await fetch(`${base}/early`)
      expect(early.status).toBe(500)
      expect(early.headers.get('content-type')).toBe('application/problem+json')
      expect(await early.json()).toEqual({
        type: '/problems/internal-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred.',
        instance: '',
        requestId: '',
      })
      const late = await fetch(`${base}/late`)
      expect(late.status).toBe(200)
      await expect(late.text()).rejects.toThrow()
      // Each failure is logged for the operator, with the request it failed.
      expect(failures).toHaveLength(2)
      expect(failures[0]).toEqual(['Next.js failed to answer', 'GET', '/early', expect.any(Error)])
    } finally {
      console.error = error
    }
  })
})

describe('a body declared over the limit on /api', () => {
  it('is read to the end and answered 413, and the connection then serves the next request', async () => {
    const base = await start()
    const { port } = new URL(base)
    const socket = connect(Number(port), '127.0.0.1')
    let answer = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      answer += chunk
    })
    const size = MAX_BODY_BYTES + 10
    socket.write(
      `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
    )
    // Sent in pieces, as a client uploads: the server must wait for all of it before answering.
    const piece = 'x'.repeat(64 * 1024)
    for (let sent = 0; sent < size; sent += piece.length) {
      socket.write(piece.slice(0, Math.min(piece.length, size - sent)))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await expect.poll(() => answer, { timeout: 5_000 }).toMatch(/^HTTP\/1\.1 413 /)
    answer = ''
    socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await once(socket, 'close')
    expect(answer).toMatch(/^HTTP\/1\.1 (200|503) /)
  })

  it('past 16 times the limit, answers 413 and closes the connection, saying so', async () => {
    const base = await start()
    const { port } = new URL(base)
    const socket = connect(Number(port), '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
    })
    // The server closes the connection after its answer, mid-upload: a reset here is expected, not a failure.
    socket.on('error', () => undefined)
    const closed = new Promise((resolve) => socket.once('close', resolve))
    const size = 20 * MAX_BODY_BYTES
    socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`)
    const piece = Buffer.alloc(256 * 1024, 120)
    for (let sent = 0; sent < size && !socket.destroyed; sent += piece.length) {
      if (!socket.write(piece))
        await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed])
    }
    await closed
    expect(answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(answer).toMatch(/\r\nConnection: close\r\n/i)
  })

  it('a body within the limit, up to exactly the limit, goes to the app unread', async () => {
    // A client and an email of its own: failed log-ins are throttled per address and per email.
    const base = await start(answeringNext, `2001:db8::${Math.floor(Math.random() * 0xffff).toString(16)}`)
    const email = `${crypto.randomUUID()}@example.test`
    const credentials = JSON.stringify({ email, password: 'not the password' })
    // Whitespace up to exactly MAX_BODY_BYTES: still valid JSON, still within the limit.
    for (const body of [credentials, credentials.padEnd(MAX_BODY_BYTES, ' ')]) {
      const response = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      })
      // The app read the whole body: a log-in refused for its credentials, not for an empty or unread body.
      expect(response.status, `${body.length} bytes`).toBe(401)
      expect(((await response.json()) as { type: string }).type).toBe('/problems/invalid-credentials')
    }
  })

  it('is answered only once the client has sent all of it', async () => {
    const base = await start()
    const { port } = new URL(base)
    const socket = connect(Number(port), '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
    })
    const size = 2 * MAX_BODY_BYTES
    socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`)
    const pieces = 8
    for (let i = 0; i < pieces; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(answer, `before piece ${i + 1} of ${pieces}`).toBe('')
      socket.write(Buffer.alloc(size / pieces, 32))
    }
    await expect.poll(() => answer, { timeout: 5_000 }).toMatch(/^HTTP\/1\.1 413 /)
    socket.destroy()
  })

  it('of exactly 16 times the limit is still read and answered 413', async () => {
    const base = await start()
    const { port } = new URL(base)
    const socket = connect(Number(port), '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
    })
    socket.on('error', () => undefined)
    const size = 16 * MAX_BODY_BYTES
    socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`)
    socket.write(Buffer.alloc(size, 32))
    await expect.poll(() => answer, { timeout: 10_000 }).toMatch(/^HTTP\/1\.1 413 /)
    socket.destroy()
  })

  it('sent too slowly is cut off at the drain deadline: a 413 that closes the connection', async () => {
    // 10 s by default; 500 ms here.
    const base = await start(answeringNext, '192.0.2.7', undefined, { oversizedBodyDrainMs: 500 })
    const { port } = new URL(base)
    const socket = connect(Number(port), '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
    })
    socket.on('error', () => undefined)
    const closed = new Promise((resolve) => socket.once('close', resolve))
    socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 * MAX_BODY_BYTES}\r\n\r\n`)
    socket.write('{')
    const started = Date.now()
    await closed
    expect(Date.now() - started).toBeGreaterThan(400)
    expect(answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(answer).toMatch(/\r\nConnection: close\r\n/i)
  })

  it('costs nothing when its client gives up half-way: the server serves the next request', async () => {
    const base = await start()
    const { port } = new URL(base)
    const socket = connect(Number(port), '127.0.0.1')
    socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: ${2 * MAX_BODY_BYTES}\r\n\r\n`)
    socket.write(Buffer.alloc(1024, 32))
    await new Promise((resolve) => setTimeout(resolve, 100))
    socket.resetAndDestroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await fetch(`${base}/api/health`)).headers.get('x-request-id')).toBeTruthy()
  })
})

describe('what Node refuses before any handler', () => {
  it('answers HTTP it cannot parse with a 400 problem and closes the connection', async () => {
    const base = await start()
    const answer = parsed(await rawRequest(base, ['GET / HTTP/1.1', 'Host: x', 'Bad Header Without Colon']))
    expect(answer.statusLine).toBe('HTTP/1.1 400 Bad Request')
    expect(answer.head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/)
    expect(answer.head).toMatch(/\r\nConnection: close(\r\n|$)/)
    expect(answer.head).toContain(`\r\nContent-Length: ${Buffer.byteLength(answer.body)}`)
    expect(JSON.parse(answer.body)).toEqual({
      type: '/problems/malformed-request',
      title: 'Malformed Request',
      status: 400,
      detail: 'The request is not valid HTTP/1.1.',
      instance: '',
      requestId: '',
    })
  })

  it('answers headers over 16 KiB with a 431 problem', async () => {
    const base = await start()
    const answer = parsed(
      await rawRequest(base, ['GET / HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(20_000)}`]),
    )
    expect(answer.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect(JSON.parse(answer.body)).toMatchObject({
      type: '/problems/headers-too-large',
      title: 'Request Header Fields Too Large',
      status: 431,
      detail: 'The request headers exceed the server limit (16 KiB in all).',
    })
  })

  it('answers a request not received in time with a 408 problem', async () => {
    // Node checks its request deadline every 30 s by default; checked every 100 ms here, with a 300 ms deadline.
    const base = await start(answeringNext, '192.0.2.7', (tuned) => {
      // Read by Node when the server starts listening; @types/node does not declare the property.
      ;(tuned as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 100
      tuned.headersTimeout = 300
      tuned.requestTimeout = 300
    })
    // A head that never ends: no blank line after the headers.
    const socket = connect(Number(new URL(base).port), '127.0.0.1')
    let raw = ''
    socket.on('data', (chunk: Buffer) => {
      raw += chunk.toString('latin1')
    })
    socket.write('GET /users HTTP/1.1\r\nHost: x\r\n')
    await once(socket, 'close')
    const answer = parsed(raw)
    expect(answer.statusLine).toBe('HTTP/1.1 408 Request Timeout')
    expect(JSON.parse(answer.body)).toMatchObject({
      type: '/problems/request-timeout',
      title: 'Request Timeout',
      status: 408,
      detail: 'The request was not received in time.',
    })
  })

  it('answers an Expect other than 100-continue with a 417 problem', async () => {
    const base = await start()
    const answer = parsed(
      await rawRequest(base, ['GET /api/health HTTP/1.1', 'Host: x', 'Expect: teapot', 'Connection: close']),
    )
    expect(answer.statusLine).toBe('HTTP/1.1 417 Expectation Failed')
    expect(answer.head).toMatch(/content-type: application\/problem\+json/i)
    expect(JSON.parse(answer.body)).toMatchObject({
      type: '/problems/expectation-failed',
      title: 'Expectation Failed',
      detail: 'Only "Expect: 100-continue" is supported.',
    })
  })

  it('answers CONNECT with a 501 problem naming the method, then closes', async () => {
    const base = await start()
    const answer = parsed(
      await rawRequest(base, ['CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443']),
    )
    expect(answer.statusLine).toBe('HTTP/1.1 501 Not Implemented')
    expect(JSON.parse(answer.body)).toMatchObject({
      type: '/problems/method-not-implemented',
      detail: expect.stringMatching(/^CONNECT is not a method/),
    })
  })

  it('keeps idle keep-alive sockets longer than the usual load balancers (65 s)', async () => {
    await start()
    expect(server?.keepAliveTimeout).toBe(65_000)
  })
})

describe('the drain', () => {
  it('closes idle keep-alive connections at once and resolves "drained"', async () => {
    const base = await start()
    const { port } = new URL(base)
    const socket = connect(Number(port), '127.0.0.1')
    socket.write('GET /users HTTP/1.1\r\nHost: x\r\n\r\n')
    await once(socket, 'data')
    const closed = once(socket, 'close')
    const started = Date.now()
    expect(await drain(server as Server, 5_000)).toBe('drained')
    await closed
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('lets a request in flight finish, then closes its connection: "drained"', async () => {
    let arrived: () => void = () => undefined
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve
    })
    let release: () => void = () => undefined
    const base = await start(async (_request, response) => {
      arrived()
      await new Promise<void>((resolve) => {
        release = resolve
      })
      response.end('finished')
    })
    const answer = fetch(`${base}/slow`)
    await inFlight
    const drained = drain(server as Server, 5_000)
    // New connections are refused while it drains.
    await expect(fetch(`${base}/users`)).rejects.toThrow()
    setTimeout(() => release(), 200)
    expect(await (await answer).text()).toBe('finished')
    expect(await drained).toBe('drained')
  })

  it('cuts a request still running at the deadline: "timed-out"', async () => {
    const base = await start(() => new Promise<void>(() => undefined))
    const answer = fetch(`${base}/forever`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const started = Date.now()
    expect(await drain(server as Server, 300)).toBe('timed-out')
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    await expect(answer).rejects.toThrow()
  })
})
