/** The no-JavaScript log-in and sign-up forms: same API, same rules, a 303 to a same-site page. */
import { describe, expect, it } from 'vitest'
import { submitAuthForm } from '../../edge/pages/auth-form-posts'
import { sameSitePath } from '../../edge/pages/form-kit'
import { createOutcomeSeal } from '../../edge/pages/outcome-seal'
import { createTestApp, TEST_JWT_SECRET, uniqueEmail } from './support'

const { app } = createTestApp()
const site = { api: app, seal: createOutcomeSeal(TEST_JWT_SECRET) }
const SITE = 'http://edgeline.test'

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
  it('signs up, sets the session cookies and sends the browser to next', async () => {
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
    expect(response.headers.get('location')).toBe('/users?q=x')
    const cookies = response.headers.getSetCookie().join('\n')
    expect(cookies).toMatch(/edgeline_session=[^;]+;.*HttpOnly/)
    expect(cookies).toMatch(/edgeline_refresh=/)
  })

  it('sets Secure cookies when the site is served over https, and only then', async () => {
    const signUpAt = (origin: string) => {
      const body = new FormData()
      body.set('name', 'Scheme User')
      body.set('email', uniqueEmail('scheme'))
      body.set('password', 'a long enough password')
      const headers = { origin, host: new URL(origin).host }
      return submitAuthForm(
        site,
        'signup',
        new Request(`${origin}/signup/submit`, { method: 'POST', body, headers }),
      )
    }
    const overHttps = await signUpAt('https://edgeline.example.test')
    const onThisMachine = await signUpAt('http://localhost:3000')
    expect(overHttps.status).toBe(303)
    expect(onThisMachine.status).toBe(303)
    expect(overHttps.headers.getSetCookie()).toHaveLength(2)
    for (const cookie of overHttps.headers.getSetCookie()) expect(cookie).toMatch(/; Secure/)
    expect(onThisMachine.headers.getSetCookie()).toHaveLength(2)
    for (const cookie of onThisMachine.headers.getSetCookie()) expect(cookie).not.toMatch(/Secure/)
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
    const response = await submitAuthForm(
      site,
      'signup',
      formPost('signup', {
        name: 'F',
        email: uniqueEmail('form'),
        password: 'a long enough password',
        next: '//evil.example/',
      }),
    )
    expect(response.headers.get('location')).toBe('/')
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
