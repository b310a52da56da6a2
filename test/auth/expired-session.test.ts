/**
 * A page visit whose session cookie has expired, followed as a browser follows it: through middleware.ts, then the
 * app for /api paths, keeping cookies by their Path. Counted in browser round trips (requests the browser sends to
 * see the page) and database round trips, never timed. Decision 0025 says why the renewal costs two extra round
 * trips of the browser, and what would remove them.
 */
import { neonConfig } from '@neondatabase/serverless'
import { NextRequest } from 'next/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REFRESH_COOKIE, SESSION_COOKIE } from '../../edge/auth/credentials'
import { isApiPath } from '../../edge/auth/public-paths'
import { readConfig } from '../../edge/env'
import { middleware } from '../../middleware'
import { answeringRuntime, createTestApp, jsonInit, uniqueEmail } from '../api/support'

const ORIGIN = 'http://localhost:3000'
// Signed with the secret middleware.ts reads from this process's environment, so both verify the same tokens.
const { app } = createTestApp({ config: { auth: readConfig().auth } })

let requestsToDatabase = 0
const originalFetchFunction: unknown = neonConfig.fetchFunction
beforeAll(() => {
  neonConfig.fetchFunction = (input: RequestInfo | URL, init?: RequestInit) => {
    requestsToDatabase += 1
    return fetch(input, init)
  }
})
afterAll(() => {
  neonConfig.fetchFunction = originalFetchFunction
})

interface StoredCookie {
  value: string
  path: string
}

/** The few things of a browser this needs: a cookie jar that honours Path and Max-Age, and following 303s. */
class Browser {
  readonly cookies = new Map<string, StoredCookie>()

  /** Stores what a response sets, as a browser would: Max-Age=0 deletes. */
  keep(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim())
      const separator = pair.indexOf('=')
      const name = pair.slice(0, separator)
      const attribute = (key: string) =>
        attributes.find((candidate) => candidate.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1)
      if (attribute('max-age') === '0') this.cookies.delete(name)
      else this.cookies.set(name, { value: pair.slice(separator + 1), path: attribute('path') ?? '/' })
    }
  }

  /** The Cookie header for `pathname`: only the cookies whose Path covers it (RFC 6265 §5.1.4). */
  cookieHeader(pathname: string): string {
    return [...this.cookies]
      .filter(
        ([, { path }]) => pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`),
      )
      .map(([name, { value }]) => `${name}=${value}`)
      .join('; ')
  }

  /**
   * Visits `path` and follows redirects until a page would render or an API answers: every request is one browser
   * round trip. Answers where it ended and what it cost.
   */
  async visit(path: string) {
    const trail: string[] = []
    let location = path
    const databaseBefore = requestsToDatabase
    for (let hop = 0; hop < 10; hop++) {
      trail.push(location)
      const url = new URL(location, ORIGIN)
      const cookie = this.cookieHeader(url.pathname)
      const headers = cookie ? { cookie } : undefined
      const atTheEdge = await middleware(new NextRequest(url, { headers }))
      this.keep(atTheEdge)
      let answer = atTheEdge
      if (atTheEdge.headers.get('x-middleware-next') === '1') {
        // Past the middleware: a page would render here; an API path is the app's.
        if (!isApiPath(url.pathname))
          return { trail, page: location, databaseRoundTrips: requestsToDatabase - databaseBefore }
        answer = await app.request(url.pathname + url.search, { headers })
        this.keep(answer)
      }
      const next = answer.headers.get('location')
      if (answer.status !== 303 || !next) throw new Error(`${location} answered ${answer.status}`)
      location = new URL(next, ORIGIN).pathname + new URL(next, ORIGIN).search
    }
    throw new Error(`redirect loop: ${trail.join(' → ')}`)
  }
}

async function signedInBrowser(): Promise<Browser> {
  const browser = new Browser()
  const signedUp = await app.request(
    '/api/auth/signup',
    jsonInit('POST', { name: 'Visitor', email: uniqueEmail('visit'), password: 'a password to visit with' }),
  )
  expect(signedUp.status).toBe(201)
  browser.keep(signedUp)
  return browser
}

// The database is counted in this process; under workerd the app's driver runs in the Worker.
describe.skipIf(answeringRuntime === 'workerd')('a page visit and its session', () => {
  it('costs one browser round trip and no database round trip with a live session', async () => {
    const browser = await signedInBrowser()
    expect(await browser.visit('/users?q=x')).toEqual({
      trail: ['/users?q=x'],
      page: '/users?q=x',
      databaseRoundTrips: 0,
    })
  })

  it('costs two extra browser round trips and one database round trip when the session cookie has expired', async () => {
    const browser = await signedInBrowser()
    // The browser drops the session cookie when its Max-Age (the access token's lifetime) runs out.
    browser.cookies.delete(SESSION_COOKIE)
    expect(browser.cookies.has(REFRESH_COOKIE)).toBe(true)
    expect(await browser.visit('/users?q=x')).toEqual({
      trail: ['/users?q=x', '/api/auth/resume?next=%2Fusers%3Fq%3Dx', '/users?q=x'],
      page: '/users?q=x',
      databaseRoundTrips: 1,
    })
    // Renewed: the next visit is one round trip again.
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true)
    expect((await browser.visit('/account')).trail).toEqual(['/account'])
  })

  it('sends a browser with neither cookie to log in through the same two extra round trips, without the database', async () => {
    const browser = new Browser()
    expect(await browser.visit('/users')).toEqual({
      trail: ['/users', '/api/auth/resume?next=%2Fusers', '/login?next=%2Fusers'],
      page: '/login?next=%2Fusers',
      databaseRoundTrips: 0,
    })
  })
})
