/**
 * Absolute-form request targets (`GET http://evil.example/api/users HTTP/1.1`) on the built app, served both ways
 * (issue 20, item 2; decision 0029): never a redirect to the host the client named; the path they carry is served
 * on our own origin, and an `/api/…` path reaches the API.
 */
import { describe, expect, inject, it } from 'vitest'
import { rawRequest } from './raw-request'

const appUrl = inject('appUrl')
const { host } = new URL(appUrl)

/** The status line and the Location header (if any) of the answer to `GET <target>`, sent as raw bytes. */
async function answerTo(
  target: string,
): Promise<{ answer: string; status: number; location: string | undefined }> {
  const answer = await rawRequest(appUrl, [`GET ${target} HTTP/1.1`, `Host: ${host}`, 'Connection: close'])
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])
  const location = /\r\nlocation: ([^\r]*)/i.exec(answer)?.[1]
  return { answer, status, location }
}

describe('an absolute-form request target', () => {
  it.each([
    'http://evil.example/',
    'http://evil.example/login',
    'http://evil.example/api/users',
    'https://evil.example/users?q=x',
    'http://evil.example',
    'http://evil.example//other.example/x',
    'http://user@evil.example:8080/login',
  ])('%s is never redirected off-site', async (target) => {
    const { status, location } = await answerTo(target)
    expect(status, target).toBeGreaterThanOrEqual(200)
    if (location !== undefined) {
      // Only a path of this site (Next's repeated-slash cleanup of `//other.example/x` is `/other.example/x`).
      expect(location, target).toMatch(/^\/(?!\/)/)
    }
  })

  it('is served as the path it carries: the home page, the log-in page', async () => {
    const home = await answerTo('http://evil.example/')
    expect(home.status).toBe(200)
    expect(home.answer).toContain('<h1>Edgeline</h1>')
    const login = await answerTo('http://evil.example/login')
    expect(login.status).toBe(200)
    expect(login.answer).toContain('<h1>Log in</h1>')
  })

  it('reaches the API when its path is /api/…: the API answers, as a problem or as data', async () => {
    const hello = await answerTo('http://evil.example/api/hello')
    expect(hello.status).toBe(200)
    expect(hello.answer).toContain('"message":"Hello from Next.js Backend!"')
    const users = await answerTo('http://evil.example/api/users')
    expect(users.status).toBe(401)
    expect(users.answer).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i)
    expect(users.answer).toContain('"type":"/problems/unauthorized"')
    // The problem's instance is the path, on our origin: the client's host is nowhere in the answer.
    expect(users.answer).toContain('"instance":"/api/users"')
    expect(users.answer).not.toContain('evil.example')
  })
})
