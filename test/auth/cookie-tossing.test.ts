/**
 * Cookie tossing: another host under the same domain (a sibling subdomain) plants cookies of our names. Two cookies
 * of one name are refused everywhere rather than guessed; a planted refresh cookie alone signs nobody in; and over
 * https (or on localhost) only the prefixed names count. The real middleware, the real app, the real form handler.
 */
import { NextRequest } from 'next/server'
import { describe, expect, it } from 'vitest'
import { createTokenService } from '../../edge/auth/tokens'
import { readConfig } from '../../edge/env'
import { submitAccountForm } from '../../edge/pages/account-form-posts'
import { middleware } from '../../middleware'
import { formPost, formSiteOf, landing } from '../api/form-support'
import {
  type Account,
  createAccount,
  createTestApp,
  jsonInit,
  type ProblemBody,
  refreshCookies,
  sessionIdOf,
  withToken,
} from '../api/support'

const { app } = createTestApp()

async function expectAmbiguous(response: Response, name: string): Promise<void> {
  expect(response.status).toBe(400)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  const problem = (await response.json()) as ProblemBody
  expect(problem.type).toBe('/problems/ambiguous-cookies')
  expect(problem.detail).toContain(name)
  expect(response.headers.getSetCookie()).toEqual([])
}

const refreshWith = (refreshToken: string) =>
  app.request('/api/auth/refresh', jsonInit('POST', { refreshToken }))

/** The victim's and the tosser's sessions: two real accounts. */
async function victimAndTosser(): Promise<[Account, Account]> {
  return Promise.all([createAccount(app), createAccount(app)])
}

describe('two session cookies in one request', () => {
  // middleware.ts reads this process's environment, as `next dev` does: its tokens are signed with that secret.
  const middlewareTokens = createTokenService(readConfig().auth)
  const twoSessions = async () => {
    const [victim, tosser] = await Promise.all([
      middlewareTokens.signAccessToken({ userId: '1001', role: 'user' }),
      middlewareTokens.signAccessToken({ userId: '1002', role: 'admin' }),
    ])
    return `__Host-edgeline_session=${tosser}; theme=dark; __Host-edgeline_session=${victim}`
  }

  it('are refused by the middleware with 400 ambiguous-cookies, on the API, pages, public pages and forms', async () => {
    const cookie = await twoSessions()
    for (const [path, method] of [
      ['/api/users', 'GET'],
      ['/users', 'GET'],
      ['/login', 'GET'],
      ['/account/submit', 'POST'],
    ] as const) {
      const response = await middleware(
        new NextRequest(new URL(path, 'http://localhost:3000'), { method, headers: { cookie } }),
      )
      // Answered here: nothing behind the middleware runs, no identity is forwarded.
      expect(response.headers.get('x-middleware-next'), path).toBeNull()
      await expectAmbiguous(response, '__Host-edgeline_session')
    }
  })

  it("are refused by the API's own authentication too (a request that did not pass the middleware)", async () => {
    const [victim, tosser] = await victimAndTosser()
    const cookie = `__Host-edgeline_session=${tosser.accessToken}; __Host-edgeline_session=${victim.accessToken}`
    for (const path of ['/api/auth/me', '/api/users', '/api/hello']) {
      await expectAmbiguous(await app.request(path, { headers: { cookie } }), '__Host-edgeline_session')
    }
    // One of them alone is a session, as ever: the refusal is about the twin, not the tokens.
    const alone = await app.request('/api/auth/me', {
      headers: { cookie: `__Host-edgeline_session=${victim.accessToken}` },
    })
    expect(alone.status).toBe(200)
  })

  it('make a page form post say so on the page, and change nothing', async () => {
    const [victim, tosser] = await victimAndTosser()
    const post = formPost(
      '/account/submit',
      { intent: 'rename', id: String(victim.user.id), name: 'Tossed' },
      victim,
    )
    post.headers.set('cookie', `__Host-edgeline_session=${tosser.accessToken}; ${post.headers.get('cookie')}`)
    const back = landing(await submitAccountForm(formSiteOf(app), post))
    expect(back.pathname).toBe('/account')
    expect(back.searchParams.get('error')).toMatch(/more than one __Host-edgeline_session cookie/)
    const me = await withToken(app, victim.accessToken).request('/api/auth/me')
    expect(((await me.json()) as { user: { name: string } }).user.name).not.toBe('Tossed')
  })
})

describe('two refresh cookies in one request', () => {
  it('are refused by /api/auth/resume: no session, no cookie, and neither token spent', async () => {
    const [victim, tosser] = await victimAndTosser()
    // A cookie planted with Path=/api/auth/resume is sent before the browser's own (longer paths first).
    const cookie = `__Secure-edgeline_refresh=${tosser.refreshToken}; ${refreshCookies(victim)}`
    const response = await app.request('/api/auth/resume?next=%2Faccount', { headers: { cookie } })
    await expectAmbiguous(response, '__Secure-edgeline_refresh')
    expect((await refreshWith(victim.refreshToken)).status).toBe(200)
    expect((await refreshWith(tosser.refreshToken)).status).toBe(200)
  })

  it('are refused by /api/auth/refresh, which spends neither', async () => {
    const [victim, tosser] = await victimAndTosser()
    const cookie = `${refreshCookies(victim)}; __Secure-edgeline_refresh=${tosser.refreshToken}`
    await expectAmbiguous(
      await app.request('/api/auth/refresh', { method: 'POST', headers: { cookie } }),
      '__Secure-edgeline_refresh',
    )
    expect((await refreshWith(victim.refreshToken)).status).toBe(200)
    expect((await refreshWith(tosser.refreshToken)).status).toBe(200)
  })

  it("are used for nothing by log-out, which still ends the browser's session by its access token", async () => {
    const [victim, tosser] = await victimAndTosser()
    const cookie = [
      `__Secure-edgeline_refresh=${tosser.refreshToken}`,
      refreshCookies(victim),
      `__Host-edgeline_session=${victim.accessToken}`,
    ].join('; ')
    const response = await app.request('/api/auth/logout', { method: 'POST', headers: { cookie } })
    // Log-out never strands a browser (decision 0019): this one's cookies are cleared, its session ended.
    expect(response.status).toBe(204)
    expect(response.headers.getSetCookie().join('\n')).toMatch(/__Secure-edgeline_refresh=;.*Max-Age=0/)
    expect((await refreshWith(victim.refreshToken)).status).toBe(401)
    // The planted token was not the one ended: no guess was made between the two.
    expect((await refreshWith(tosser.refreshToken)).status).toBe(200)
  })
})

describe('a planted refresh cookie alone', () => {
  const resume = (cookie: string) => app.request('/api/auth/resume?next=%2Faccount', { headers: { cookie } })

  it("does not sign the browser into the planter's account, whatever session id goes with it", async () => {
    const [victim, tosser] = await victimAndTosser()
    for (const cookie of [
      // A browser signed out (or whose refresh cookie expired): only the planted one.
      `__Secure-edgeline_refresh=${tosser.refreshToken}`,
      // A browser still holding its own session id.
      `__Secure-edgeline_refresh=${tosser.refreshToken}; __Host-edgeline_sid=${sessionIdOf(victim.accessToken)}`,
      // A session id planted too, under a name no other host can set over https: the unprefixed one is ignored.
      `__Secure-edgeline_refresh=${tosser.refreshToken}; edgeline_sid=${sessionIdOf(tosser.accessToken)}`,
    ]) {
      const response = await resume(cookie)
      expect(response.status, cookie).toBe(303)
      expect(response.headers.get('location'), cookie).toBe('/login?next=%2Faccount')
      expect(response.headers.getSetCookie().join('\n'), cookie).not.toMatch(/edgeline_session=[^;]/)
    }
    // Not even spent: the planter's token was never looked at for this browser's session.
    expect((await refreshWith(tosser.refreshToken)).status).toBe(200)
  })

  it('is not spent by /api/auth/refresh either', async () => {
    const [victim, tosser] = await victimAndTosser()
    const cookie = `__Secure-edgeline_refresh=${tosser.refreshToken}; __Host-edgeline_sid=${sessionIdOf(victim.accessToken)}`
    const response = await app.request('/api/auth/refresh', { method: 'POST', headers: { cookie } })
    expect(response.status).toBe(401)
    expect((await refreshWith(tosser.refreshToken)).status).toBe(200)
  })

  it("renews the browser's own session, with the session id set beside its refresh cookie", async () => {
    const [victim] = await victimAndTosser()
    const response = await resume(refreshCookies(victim))
    expect(response.headers.get('location')).toBe('/account')
    expect(response.headers.getSetCookie().join('\n')).toMatch(/__Host-edgeline_session=[^;]+;/)
  })
})

describe('cookies of our names without their prefix, over https and on localhost', () => {
  it('are ignored: a planted unprefixed session cookie signs nobody in', async () => {
    const [tosser] = await victimAndTosser()
    for (const origin of ['http://localhost', 'https://edgeline.example.test']) {
      const response = await app.request(`${origin}/api/auth/me`, {
        headers: { cookie: `edgeline_session=${tosser.accessToken}` },
      })
      expect(response.status, origin).toBe(401)
    }
    // Over plain http to another host (no prefix possible there), the unprefixed name is the one in use.
    const plain = await app.request('http://intranet.example.test/api/auth/me', {
      headers: { cookie: `edgeline_session=${tosser.accessToken}` },
    })
    expect(plain.status).toBe(200)
  })

  it('are ignored by the middleware too: a page visit with one goes to renew the session', async () => {
    const token = await createTokenService(readConfig().auth).signAccessToken({
      userId: '1003',
      role: 'user',
    })
    const response = await middleware(
      new NextRequest(new URL('/account', 'http://localhost:3000'), {
        headers: { cookie: `edgeline_session=${token}` },
      }),
    )
    expect(response.status).toBe(303)
    expect(new URL(response.headers.get('location') ?? '').pathname).toBe('/api/auth/resume')
  })
})
