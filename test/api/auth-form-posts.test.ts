/** The no-JavaScript log-in and sign-up forms: same API, same rules, a 303 to a same-site page. */
import { describe, expect, it } from 'vitest'
import { submitAuthForm } from '../../edge/pages/auth-form-posts'
import { sameSitePath } from '../../edge/pages/form-kit'
import { createOutcomeSeal } from '../../edge/pages/outcome-seal'
import { createTestApp, jsonInit, TEST_JWT_SECRET, uniqueEmail } from './support'

const { app } = createTestApp()
const site = { api: app, seal: createOutcomeSeal(TEST_JWT_SECRET) }
const SITE = 'https://edgeline.test'
const logIn = (email: string, password: string) =>
  app.request('/api/auth/login', jsonInit('POST', { email, password }))

function formPost(form: 'login' | 'signup', fields: Record<string, string>, origin: string | null = SITE) {
  const body = new FormData()
  for (const [name, value] of Object.entries(fields)) body.set(name, value)
  return new Request(`${SITE}/${form}/submit`, {
    method: 'POST',
    body,
    headers: origin ? { origin } : {},
  })
}

describe('sameSitePath', () => {
  it.each([
    ['/users?page=2', '/users?page=2'],
    ['/', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['/..//evil.example', '/'],
    ['/./..//evil.example/x', '/'],
    ['/a/../users', '/users'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['users', '/'],
    [null, '/'],
  ])('turns next=%s into %s', (next, expected) => {
    expect(sameSitePath(next)).toBe(expected)
  })
})

describe('the sign-up and log-in form posts', () => {
  it('signs up, sets the session cookies and sends the browser to next with a welcome for the new account', async () => {
    const email = uniqueEmail('form')
    const response = await submitAuthForm(
      site,
      'signup',
      formPost('signup', {
        name: 'Form User',
        email,
        password: 'a long enough password',
        next: '/users?q=x',
      }),
    )
    expect(response.status).toBe(303)
    const landing = new URL(response.headers.get('location') ?? '', SITE)
    expect(landing.pathname).toBe('/users')
    expect(landing.searchParams.get('q')).toBe('x')
    const cookies = response.headers.getSetCookie().join('\n')
    expect(cookies).toMatch(/__Host-edgeline_session=[^;]+;.*HttpOnly/)
    expect(cookies).toMatch(/__Secure-edgeline_refresh=/)
    // Sealed for the account just made (the browser is signed in as it once it follows), not for the visitor it was.
    const { user } = (await (await logIn(email, 'a long enough password')).json()) as { user: { id: number } }
    expect(await site.seal.open(landing.searchParams, '/users', `user:${user.id}`)).toEqual({
      notice: 'Welcome to Edgeline, Form User: your account is ready.',
      fieldErrors: {},
    })
    expect(await site.seal.open(landing.searchParams, '/users', 'anonymous')).toEqual({ fieldErrors: {} })
  })

  it('sends a sign-up whose next is an API path there exactly, with no welcome in its query', async () => {
    const response = await submitAuthForm(
      site,
      'signup',
      formPost('signup', {
        name: 'API Next',
        email: uniqueEmail('form-api'),
        password: 'a long enough password',
        next: '/api/auth/me',
      }),
    )
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/api/auth/me')
  })

  it('logs in and sends the browser to next exactly, with no notice', async () => {
    const email = uniqueEmail('form-login')
    await submitAuthForm(
      site,
      'signup',
      formPost('signup', { name: 'Returning', email, password: 'a long enough password' }),
    )
    const response = await submitAuthForm(
      site,
      'login',
      formPost('login', { email, password: 'a long enough password', next: '/users?q=x' }),
    )
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/users?q=x')
    expect(response.headers.getSetCookie().join('\n')).toMatch(/__Host-edgeline_session=[^;]+;/)
  })

  it('sets Secure cookies when the browser came over https or to localhost, and only then', async () => {
    const signUpAt = async (origin: string, forwardedProto?: string) => {
      const body = new FormData()
      body.set('name', 'Scheme User')
      body.set('email', uniqueEmail('scheme'))
      body.set('password', 'a long enough password')
      const headers: Record<string, string> = { origin, host: new URL(origin).host }
      if (forwardedProto) headers['x-forwarded-proto'] = forwardedProto
      const answer = await submitAuthForm(
        site,
        'signup',
        new Request(`${origin}/signup/submit`, { method: 'POST', body, headers }),
      )
      expect(answer.status).toBe(303)
      // Both cookies, so that the checks on them cannot pass by looking at none.
      expect(answer.headers.getSetCookie()).toHaveLength(3)
      return answer.headers.getSetCookie()
    }
    for (const cookie of await signUpAt('https://edgeline.example.test')) expect(cookie).toMatch(/; Secure/)
    // next start builds the page's URL as http://localhost:PORT and keeps the browser's scheme in this header.
    for (const cookie of await signUpAt('http://localhost:3000', 'https')) expect(cookie).toMatch(/; Secure/)
    // localhost is a secure context for a browser's cookies: the same __Host- names as production.
    for (const cookie of await signUpAt('http://localhost:3000'))
      expect(cookie).toMatch(/^__(Host|Secure)-.*; Secure/)
    for (const cookie of await signUpAt('http://intranet.example.test')) {
      expect(cookie).toMatch(/^edgeline_/)
      expect(cookie).not.toMatch(/Secure/)
    }
  })

  it('sends a wrong password back to the form with the API detail, the email kept and no cookie', async () => {
    const email = uniqueEmail('form')
    await submitAuthForm(
      site,
      'signup',
      formPost('signup', { name: 'F', email, password: 'a long enough password' }),
    )
    const response = await submitAuthForm(
      site,
      'login',
      formPost('login', { email, password: 'not the password', next: '/users' }),
    )
    expect(response.status).toBe(303)
    const back = new URL(response.headers.get('location') as string, SITE)
    expect(back.pathname).toBe('/login')
    expect(back.searchParams.get('error')).toBe('The email or the password is wrong.')
    expect(back.searchParams.get('email')).toBe(email)
    expect(back.searchParams.get('next')).toBe('/users')
    expect(back.searchParams.has('password')).toBe(false)
    expect(response.headers.getSetCookie()).toEqual([])
  })

  it('carries the field errors of a 422 back to the form', async () => {
    const response = await submitAuthForm(
      site,
      'signup',
      formPost('signup', { name: '', email: 'nope', password: 'x' }),
    )
    const back = new URL(response.headers.get('location') as string, SITE)
    expect(back.pathname).toBe('/signup')
    expect(back.searchParams.get('field.email')).toBe('must be a valid email address')
    expect(back.searchParams.get('field.name')).toBeTruthy()
  })

  it('never redirects off the site, whatever next says', async () => {
    const email = uniqueEmail('form')
    const fields = { email, password: 'a long enough password', next: '//evil.example/' }
    const signUp = await submitAuthForm(site, 'signup', formPost('signup', { name: 'F', ...fields }))
    const logIn = await submitAuthForm(site, 'login', formPost('login', fields))
    expect(logIn.headers.get('location')).toBe('/')
    // The sign-up's welcome rides in the query of the same site's home page.
    expect(signUp.headers.get('location')).toMatch(/^\/\?notice=Welcome/)
  })

  it('refuses a post from another site, or without an Origin (login CSRF)', async () => {
    for (const origin of ['https://evil.example', null]) {
      const response = await submitAuthForm(
        site,
        'login',
        formPost('login', { email: 'a@example.com', password: 'whatever password' }, origin),
      )
      expect(response.status).toBe(403)
    }
  })
})
