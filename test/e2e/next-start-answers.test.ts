/**
 * Run against `next start` only (project e2e): what Next and Node answer there before any code of ours runs. The
 * production server answers these itself (production-server.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, inject, it } from 'vitest'
import { rawRequest } from './raw-request'

const baseUrl = inject('appUrl')
const serverOutput = () => readFileSync(inject('serverLogFile'), 'utf8')

/**
 * What Next and Node answer before any code of ours runs, as `next start` serves the build today (README, API):
 * these pin the evidence, so a Next or Node upgrade that changes it fails here and the README gets updated.
 * The production server (server/) is ours from the first byte, and answers some of them itself.
 */
describe('answers next start gives before our code runs', () => {
  it("gives TRACE Next's text/plain 500: Next builds a Request for middleware.ts, and Request refuses TRACE", async () => {
    const answer = await rawRequest(baseUrl, [
      'TRACE /api/hello HTTP/1.1',
      'Host: localhost',
      'Connection: close',
    ])
    expect(answer).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/)
    expect(answer).toMatch(/\r\nContent-Type: text\/plain\r\n/i)
    await expect.poll(serverOutput).toContain("TypeError: 'TRACE' HTTP method is unsupported.")
  })

  it("gives a write to Next's build output a text/plain 500: Next fails to render its own 405 page", async () => {
    // Outside the middleware's matcher (hashed build files, fetched on every page view), so nothing of ours runs.
    const chunk = readdirSync('.next/static/chunks').find((name) => name.endsWith('.js'))
    const response = await fetch(`${baseUrl}/_next/static/chunks/${chunk}`, { method: 'POST' })
    expect(response.status).toBe(500)
    expect(response.headers.get('content-type')).toBe('text/plain')
    expect(response.headers.get('allow')).toBe('GET, HEAD')
  })

  it('closes a CONNECT without an answer: Node has no CONNECT handler', async () => {
    expect(await rawRequest(baseUrl, ['CONNECT localhost:80 HTTP/1.1', 'Host: localhost'])).toBe('')
  })

  it("gives a method Node's parser does not know (TRACK, FOO) Node's bare 400", async () => {
    for (const method of ['TRACK', 'FOO']) {
      const answer = await rawRequest(baseUrl, [`${method} /api/hello HTTP/1.1`, 'Host: localhost'])
      expect(answer).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    }
  })

  it("gives headers over 16 KiB Node's bare 431", async () => {
    const answer = await rawRequest(baseUrl, [
      'GET /api/hello HTTP/1.1',
      'Host: localhost',
      `X-Big: ${'a'.repeat(17_000)}`,
    ])
    expect(answer).toBe('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n')
  })

  it("gives an Expect other than 100-continue Node's empty 417", async () => {
    const answer = await rawRequest(baseUrl, [
      'GET /api/hello HTTP/1.1',
      'Host: localhost',
      'Expect: 100-foo',
      'Connection: close',
    ])
    expect(answer).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n/)
    expect(answer).not.toMatch(/content-type/i)
  })
})
