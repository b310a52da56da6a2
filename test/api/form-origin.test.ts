/**
 * The CSRF check of every form post compares the whole origin, scheme included (issue 20, item 7): a page served
 * over https on the same host name is another origin than the http site (RFC 6454), and the other way round.
 */
import { describe, expect, it } from 'vitest'
import { submitAccountForm } from '../../edge/pages/account-form-posts'
import { submitAuthForm } from '../../edge/pages/auth-form-posts'
import { submitUsersForm } from '../../edge/pages/users-form-posts'
import { isSameOrigin } from '../../edge/same-origin'
import { formSiteOf } from './form-support'
import { createAccount, createTestApp, jsonInit, type SessionBody, uniqueEmail } from './support'

const { app } = createTestApp()
const site = formSiteOf(app)

/** A form post to `url` whose browser says it came from `origin`, with `headers` besides. */
function postFrom(url: string, origin: string, headers: Record<string, string> = {}, body = new FormData()) {
  return new Request(url, { method: 'POST', body, headers: { origin, host: new URL(url).host, ...headers } })
}

describe('isSameOrigin', () => {
  it.each([
    [
      'an https page posting to the http site',
      'http://edgeline.test/login/submit',
      'https://edgeline.test',
      {},
    ],
    [
      'an http page posting to the https site',
      'https://edgeline.test/login/submit',
      'http://edgeline.test',
      {},
    ],
    ['another port', 'http://edgeline.test:3000/login/submit', 'http://edgeline.test:3001', {}],
    ['another host', 'http://edgeline.test/login/submit', 'http://evil.example', {}],
    ['an Origin of "null" (a sandboxed page)', 'http://edgeline.test/login/submit', 'null', {}],
    [
      'an http page when the proxy says the browser used https',
      'http://localhost:3000/login/submit',
      'http://localhost:3000',
      { 'x-forwarded-proto': 'https' },
    ],
  ])('refuses %s', (_, url, origin, headers) => {
    expect(isSameOrigin(postFrom(url, origin, headers))).toBe(false)
  })

  it.each([
    [
      'the same scheme, host and port',
      'http://edgeline.test:3000/login/submit',
      'http://edgeline.test:3000',
      {},
    ],
    ['an https site', 'https://edgeline.test/login/submit', 'https://edgeline.test', {}],
    ['a default port spelled out', 'https://edgeline.test/login/submit', 'https://edgeline.test:443', {}],
    [
      'https behind a proxy that ended TLS (X-Forwarded-Proto)',
      'http://localhost:3000/login/submit',
      'https://localhost:3000',
      { 'x-forwarded-proto': 'https' },
    ],
  ])('accepts %s', (_, url, origin, headers) => {
    expect(isSameOrigin(postFrom(url, origin, headers))).toBe(true)
  })
})

describe('every form handler', () => {
  it('refuses a post from the https origin of the same host to the http site, before doing anything', async () => {
    const account = await createAccount(app, 'admin')
    const signedIn = {
      cookie: `edgeline_session=${account.accessToken}`,
      'x-edgeline-user-id': String(account.user.id),
      'x-edgeline-user-role': account.user.role,
    }
    const fields = (entries: Record<string, string>) => {
      const body = new FormData()
      for (const [name, value] of Object.entries(entries)) body.set(name, value)
      return body
    }
    const email = uniqueEmail('scheme-csrf')
    const answers = [
      await submitAuthForm(
        site,
        'signup',
        postFrom(
          'http://edgeline.test/signup/submit',
          'https://edgeline.test',
          {},
          fields({
            name: 'Scheme',
            email,
            password: 'a long enough password',
          }),
        ),
      ),
      await submitAccountForm(
        site,
        postFrom(
          'http://edgeline.test/account/submit',
          'https://edgeline.test',
          signedIn,
          fields({
            intent: 'rename',
            name: 'Renamed by another origin',
          }),
        ),
      ),
      await submitUsersForm(
        site,
        postFrom(
          'http://edgeline.test/users/submit',
          'https://edgeline.test',
          signedIn,
          fields({
            intent: 'delete',
            id: String(account.user.id),
          }),
        ),
      ),
    ]
    expect(answers.map((answer) => answer.status)).toEqual([403, 403, 403])
    // Nothing happened: no account for the email, the admin still there under its name.
    const login = await app.request(
      '/api/auth/login',
      jsonInit('POST', { email, password: 'a long enough password' }),
    )
    expect(login.status).toBe(401)
    const me = await account.client.request('/api/auth/me')
    expect(((await me.json()) as { user: SessionBody['user'] }).user.name).toBe(account.user.name)
  })

  it("refuses the log-out button's form from the https origin of the same host, and the session lives on", async () => {
    const signup = await app.request(
      '/api/auth/signup',
      jsonInit('POST', {
        name: 'Logout',
        email: uniqueEmail('scheme-logout'),
        password: 'a long enough password',
      }),
    )
    const session = (await signup.json()) as SessionBody
    const response = await app.request('http://localhost:3000/api/auth/logout', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://localhost:3000',
        host: 'localhost:3000',
        cookie: `edgeline_refresh=${session.refreshToken}`,
      },
      body: '',
    })
    expect(response.status).toBe(403)
    const refreshed = await app.request(
      '/api/auth/refresh',
      jsonInit('POST', { refreshToken: session.refreshToken }),
    )
    expect(refreshed.status).toBe(200)
  })
})
