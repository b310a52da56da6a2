/**
 * The pages in a real browser: Debian's Chromium driven by playwright-core, against `next build` + `next start`.
 * A failing test leaves a screenshot of its page in test-results/browser/.
 */
import { mkdirSync } from 'node:fs'
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { latestMessages } from '../../db/queries/outbox'
import { insertUsersSkippingExisting } from '../../db/queries/users'
import { seedDemoUsers } from '../../db/seed'
import { type Credentials, createE2eAccount } from './accounts'
import { checkBrowserAnswer, expectEveryApiAnswerDocumented } from './checked-fetch'

const appUrl = inject('appUrl')
const SCREENSHOTS = 'test-results/browser'
/** Set to a folder to (re)make the README's screenshots of /users and /api/docs there. */
const README_SCREENSHOTS = process.env.README_SCREENSHOTS

let browser: Browser

beforeAll(async () => {
  browser = await chromium.launch({
    // Debian's package, never Playwright's own download (.ci/run installs it with apt-get).
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  })
})

afterAll(async () => {
  await browser?.close()
})

// Every API answer the pages received was checked against the document the server publishes.
afterAll(expectEveryApiAnswerDocumented)

/**
 * Runs `steps` in a fresh browser profile (no cookies), and keeps a screenshot of the page if they fail. Every
 * request the page makes is recorded, so a test can prove nothing left our origin.
 */
async function inBrowser(
  name: string,
  steps: (page: Page, requests: URL[]) => Promise<void>,
  options: BrowserContextOptions = {},
): Promise<void> {
  const context = await browser.newContext({
    baseURL: appUrl,
    viewport: { width: 1000, height: 720 },
    ...options,
  })
  const page = await context.newPage()
  const requests: URL[] = []
  page.on('request', (request) => requests.push(new URL(request.url())))
  page.on('response', checkBrowserAnswer)
  try {
    await steps(page, requests)
  } catch (error) {
    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true }).catch(() => undefined)
    throw error
  } finally {
    await context.close()
  }
}

function testDatabase() {
  return createDatabase({ databaseUrl: inject('databaseUrl'), sqlGatewayEndpoint: inject('sqlEndpoint') })
}

async function logIn(page: Page, account: Credentials, next?: string): Promise<void> {
  if (next !== undefined) await page.goto(`/login?next=${encodeURIComponent(next)}`)
  else if (!new URL(page.url()).pathname.startsWith('/login')) await page.goto('/login')
  await page.getByLabel('Email').fill(account.email)
  await page.getByLabel('Password').fill(account.password)
  await page.getByRole('button', { name: 'Log in' }).click()
}

function pathOf(page: Page): string {
  const url = new URL(page.url())
  return `${url.pathname}${url.search}`
}

describe('the pages in Chromium', () => {
  it('signs up through the form and lands, welcomed, on the account page it was sent from', async () => {
    await inBrowser('sign-up', async (page) => {
      const email = `e2e-browser-${crypto.randomUUID().slice(0, 8)}@example.test`
      await page.goto('/signup?next=%2Faccount')
      await page.getByLabel('Name').fill('Browser Person')
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill('a long enough password')
      await page.getByRole('button', { name: 'Sign up' }).click()
      await page.waitForURL((url) => url.pathname === '/account')
      await expect.poll(() => page.locator('#profile-name').textContent()).toBe('Browser Person')
      expect(await page.getByText(email).count()).toBe(1)
      expect(await page.locator('#form-notice').textContent()).toBe(
        'Welcome to Edgeline, Browser Person: your account is ready.',
      )
    })
  })

  it('loads the home page with its icon and without a console error, signed out', async () => {
    await inBrowser('first-load', async (page) => {
      const errors: string[] = []
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text())
      })
      page.on('pageerror', (error) => errors.push(error.message))
      const failed: string[] = []
      page.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`)
      })
      await page.goto('/', { waitUntil: 'networkidle' })
      const icon = await page.locator('link[rel="icon"]').getAttribute('href')
      expect(icon).toBe('/favicon.ico')
      const iconAnswer = await page.request.get(icon as string)
      expect(iconAnswer.status()).toBe(200)
      const robots = await page.request.get('/robots.txt')
      expect(await robots.text()).toContain('Disallow: /api/')
      expect(failed).toEqual([])
      expect(errors).toEqual([])
    })
  })

  it('shows the API field errors on the sign-up form, the problem in plain words, and keeps what was typed', async () => {
    await inBrowser('sign-up-errors', async (page) => {
      await page.goto('/signup')
      await page.getByLabel('Name').fill('Typed Name')
      await page.getByLabel('Email').fill('not-an-email')
      await page.getByLabel('Password').fill('short')
      await page.getByRole('button', { name: 'Sign up' }).click()
      await page.waitForURL(/\/signup\?/)
      // At the top, in a person's words; beside each field, what is wrong with it.
      expect(await page.locator('#form-error').textContent()).toBe(
        'Some of what you entered needs fixing: see the note beside each field.',
      )
      expect(await page.locator('#email-error').textContent()).toMatch(/valid email/)
      expect(await page.locator('#password-error').textContent()).toMatch(/at least/)
      expect(await page.getByLabel('Name').inputValue()).toBe('Typed Name')
      expect(await page.getByLabel('Password').inputValue()).toBe('')
    })
  })

  it('shows no message a link makes up, only what its own form handler sealed', async () => {
    await inBrowser('forged-message', async (page) => {
      await page.goto(
        '/login?error=Your+account+is+locked.+Call+555-0100&field.password=Use+your+bank+PIN&notice=Hi',
      )
      expect(await page.locator('#form-error, #form-notice, #password-error').count()).toBe(0)
      // An email of this run only: a fixed one would carry failed log-ins from runs before it into its throttle.
      await page.getByLabel('Email').fill(`nobody-${crypto.randomUUID().slice(0, 8)}@example.test`)
      await page.getByLabel('Password').fill('a wrong password')
      await page.getByRole('button', { name: 'Log in' }).click()
      await expect.poll(() => page.locator('#form-error').textContent()).toMatch(/wrong/)
    })
  })

  it('sends a signed-out visitor to /login?next= and back to the same page after logging in', async () => {
    const user = await createE2eAccount('user', 'redirect')
    await inBrowser('signed-out-redirect', async (page) => {
      await page.goto('/users?q=e2e')
      expect(pathOf(page)).toBe('/login?next=%2Fusers%3Fq%3De2e')
      await logIn(page, user)
      await page.waitForURL('**/users?q=e2e')
      expect(await page.getByLabel('Search names and emails').inputValue()).toBe('e2e')
    })
  })

  it('renews a session whose 15-minute cookie is gone, without asking to log in again', async () => {
    const user = await createE2eAccount('user', 'renew')
    await inBrowser('session-renewal', async (page) => {
      await logIn(page, user, '/account')
      await page.waitForURL('**/account')
      // What the browser does when the session cookie's Max-Age runs out; the refresh cookie lives 30 days.
      await page.context().clearCookies({ name: '__Host-edgeline_session' })
      await page.goto('/users?q=renew')
      expect(pathOf(page)).toBe('/users?q=renew')
      expect(await page.locator('#signed-in-as').textContent()).toBe(`Signed in as ${user.name} (user)`)
    })
  })

  it('keeps the session in __Host-/__Secure- cookies on http://localhost and 127.0.0.1, secure contexts for cookies', async () => {
    const user = await createE2eAccount('user', 'prefixed')
    // The server listens on 127.0.0.1; the name localhost reaches it too, and is what `npm run dev` prints.
    for (const baseURL of [appUrl, appUrl.replace('//127.0.0.1:', '//localhost:')]) {
      await inBrowser(
        'prefixed-cookies',
        async (page) => {
          await logIn(page, user, '/account')
          await page.waitForURL('**/account')
          // Chromium stored what the server set over plain http to a loopback host, prefixes and Secure included.
          const cookies = new Map((await page.context().cookies()).map((cookie) => [cookie.name, cookie]))
          const host = new URL(baseURL).hostname
          expect(cookies.get('__Host-edgeline_session'), baseURL).toMatchObject({
            domain: host,
            path: '/',
            secure: true,
          })
          expect(cookies.get('__Host-edgeline_sid'), baseURL).toMatchObject({
            domain: host,
            path: '/',
            secure: true,
          })
          expect(cookies.get('__Secure-edgeline_refresh'), baseURL).toMatchObject({
            path: '/api/auth',
            secure: true,
          })
          expect([...cookies.keys()].filter((name) => !name.startsWith('__'))).toEqual([])
          // And sent them back: the page is signed in.
          expect(await page.locator('#signed-in-as').textContent()).toBe(`Signed in as ${user.name} (user)`)
        },
        { baseURL },
      )
    }
  })

  it('refuses to renew a session when a second refresh cookie was planted, rather than guess', async () => {
    const [user, tosser] = await Promise.all([
      createE2eAccount('user', 'victim'),
      createE2eAccount('user', 'tosser'),
    ])
    const login = await fetch(`${appUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: tosser.email, password: tosser.password }),
    })
    const { refreshToken } = (await login.json()) as { refreshToken: string }
    await inBrowser('tossed-refresh-cookie', async (page) => {
      await logIn(page, user, '/account')
      await page.waitForURL('**/account')
      // As a sibling subdomain would plant it: the same name, a longer path, so the browser sends it first.
      await page.context().addCookies([
        {
          name: '__Secure-edgeline_refresh',
          value: refreshToken,
          domain: new URL(appUrl).hostname,
          path: '/api/auth/resume',
          secure: true,
          httpOnly: true,
        },
      ])
      await page.context().clearCookies({ name: '__Host-edgeline_session' })
      const answer = await page.goto('/users')
      expect(pathOf(page)).toBe('/api/auth/resume?next=%2Fusers')
      expect(answer?.status()).toBe(400)
      expect(await page.textContent('body')).toContain('/problems/ambiguous-cookies')
      const session = (await page.context().cookies()).find(
        (cookie) => cookie.name === '__Host-edgeline_session',
      )
      expect(session).toBeUndefined()
    })
  })

  it('names who is signed in, with the role, and offers no log-in on the home page once signed in', async () => {
    const admin = await createE2eAccount('admin', 'header')
    await inBrowser('signed-in-header', async (page) => {
      await page.goto('/')
      expect(await page.getByRole('link', { name: 'Log in' }).count()).toBe(2)
      await logIn(page, admin, '/')
      await page.waitForURL((url) => url.pathname === '/')
      const signedInAs = page.locator('#signed-in-as')
      expect(await signedInAs.textContent()).toBe(`Signed in as ${admin.name} (admin)`)
      expect(await signedInAs.locator('strong').getAttribute('title')).toBe(admin.email)
      expect(await page.getByRole('link', { name: /log in|sign up/i }).count()).toBe(0)
      expect(await page.getByRole('link', { name: 'your account' }).count()).toBe(1)
    })
  })

  it('lets an admin create, rename and delete a user on /users', async () => {
    const admin = await createE2eAccount('admin', 'crud')
    const email = `e2e-made-${crypto.randomUUID().slice(0, 8)}@example.test`
    await inBrowser('users-crud', async (page) => {
      await logIn(page, admin, '/users')
      await page.waitForURL('**/users')
      await page.getByLabel('Name', { exact: true }).fill('Made In Browser')
      await page.getByLabel('Email', { exact: true }).fill(email)
      await page.getByRole('button', { name: 'Create user' }).click()
      await expect.poll(() => page.locator('#form-notice').textContent()).toMatch(/^Created Made In Browser/)

      await page.getByLabel('Search names and emails').fill(email)
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForURL(/q=/)
      const row = page.locator('tbody tr')
      expect(await row.count()).toBe(1)
      await row.getByLabel('New name for Made In Browser').fill('Renamed In Browser')
      await row.getByRole('button', { name: 'Rename' }).click()
      await expect.poll(() => page.locator('#form-notice').textContent()).toMatch(/to Renamed In Browser\.$/)
      expect(await page.locator('tbody tr td').first().textContent()).toBe('Renamed In Browser')
      // Back on the same search after each action.
      expect(new URL(page.url()).searchParams.get('q')).toBe(email)

      // Delete asks first, on the page itself; Cancel goes back to the same list with nothing deleted.
      await page.getByRole('link', { name: 'Delete Renamed In Browser' }).click()
      await page.waitForURL(/delete=/)
      expect(await page.getByRole('heading', { name: 'Delete Renamed In Browser?' }).count()).toBe(1)
      await page.getByRole('link', { name: 'Cancel' }).click()
      await page.waitForURL((url) => !url.searchParams.has('delete'))
      expect(new URL(page.url()).searchParams.get('q')).toBe(email)
      expect(await page.locator('tbody tr').count()).toBe(1)
      expect(await page.getByRole('heading', { name: /^Delete/ }).count()).toBe(0)

      await page.getByRole('link', { name: 'Delete Renamed In Browser' }).click()
      await page.getByRole('button', { name: 'Yes, delete Renamed In Browser' }).click()
      await expect.poll(() => page.locator('#form-notice').textContent()).toMatch(/^Deleted user #\d+\.$/)
      expect(new URL(page.url()).searchParams.has('delete')).toBe(false)
      expect(await page.getByText('No users found.').count()).toBe(1)
    })
  })

  it('pages through a search 20 users at a time, forward and back, keeping the search, without JavaScript', async () => {
    const tag = `pg${crypto.randomUUID().slice(0, 8)}`
    const names = Array.from({ length: 23 }, (_, index) => `Paged ${tag} ${String(index).padStart(2, '0')}`)
    await insertUsersSkippingExisting(
      testDatabase(),
      names.map((name, index) => ({ name, email: `${tag}-${index}@example.test` })),
    )
    const user = await createE2eAccount('user', 'pager')
    await inBrowser(
      'users-pages',
      async (page) => {
        await logIn(page, user, `/users?q=${tag}`)
        await page.waitForURL(/\/users\?q=/)
        const firstColumn = () => page.locator('tbody tr td:first-child').allTextContents()
        expect(await firstColumn()).toEqual(names.slice(0, 20))
        await page.getByRole('link', { name: 'Next page' }).click()
        await page.waitForURL(/cursor=/)
        expect(new URL(page.url()).searchParams.get('q')).toBe(tag)
        expect(await firstColumn()).toEqual(names.slice(20))
        expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0)
        const lastPage = page.url()
        await page.getByRole('link', { name: 'Previous page' }).click()
        await page.waitForURL((url) => url.href !== lastPage && url.searchParams.has('cursor'))
        expect(new URL(page.url()).searchParams.get('q')).toBe(tag)
        expect(await firstColumn()).toEqual(names.slice(0, 20))
        expect(await page.getByRole('link', { name: 'Previous page' }).count()).toBe(0)
        await page.getByRole('link', { name: 'Next page' }).click()
        await page.waitForURL(lastPage)
        expect(await firstColumn()).toEqual(names.slice(20))
        await page.getByRole('link', { name: 'First page' }).click()
        await page.waitForURL((url) => !url.searchParams.has('cursor'))
        expect(await firstColumn()).toHaveLength(20)
      },
      { javaScriptEnabled: false },
    )
  })

  it('shows a user only the rename form of their own row, and no create or delete', async () => {
    const user = await createE2eAccount('user', 'plain')
    await createE2eAccount('user', 'neighbour')
    await inBrowser('users-as-user', async (page) => {
      await logIn(page, user, `/users?q=${encodeURIComponent(user.email)}`)
      await page.waitForURL(/\/users\?q=/)
      expect(await page.getByRole('button', { name: 'Create user' }).count()).toBe(0)
      await page.goto('/users')
      expect(await page.getByRole('link', { name: /^Delete/ }).count()).toBe(0)
      // Nor does the confirmation step show to someone who may not delete, whatever the address says.
      const neighbourId = (await page.locator('tbody tr').last().getAttribute('id'))?.replace('user-', '')
      await page.goto(`/users?delete=${neighbourId}`)
      expect(await page.getByRole('button', { name: /delete/i }).count()).toBe(0)
      // At least the neighbour's row is there too, and nobody's has a delete button.
      expect(await page.locator('tbody tr').count()).toBeGreaterThan(1)
      await page.goto(`/users?q=${encodeURIComponent(user.email)}`)
      expect(await page.getByRole('button', { name: 'Rename' }).count()).toBe(1)
    })
  })

  it('changes the name and the password on /account, asks for an email change, logs out, and logs in with the new password', async () => {
    const user = await createE2eAccount('user', 'password')
    await inBrowser('account-password', async (page) => {
      await logIn(page, user, '/account')
      await page.waitForURL('**/account')
      await page.getByLabel('Name', { exact: true }).fill('Changed Name')
      await page.getByRole('button', { name: 'Save name' }).click()
      await expect.poll(() => page.locator('#profile-name').textContent()).toBe('Changed Name')

      // The email form asks for the current password too: each form's own field.
      const emailForm = page.getByRole('form', { name: 'Change your email' })
      await emailForm.getByLabel('New email').fill(`moved-${user.email}`)
      await emailForm.getByLabel('Current password').fill(user.password)
      await emailForm.getByRole('button', { name: 'Send the confirmation link' }).click()
      await expect
        .poll(() => page.locator('#form-notice').textContent())
        .toBe(
          `A link to confirm the change is on its way to moved-${user.email}. Until it is followed, nothing changes.`,
        )

      const passwordForm = page.getByRole('form', { name: 'Change your password' })
      await passwordForm.getByLabel('Current password').fill(user.password)
      await passwordForm.getByLabel('New password').fill('a brand new password')
      await passwordForm.getByRole('button', { name: 'Change password' }).click()
      await expect.poll(() => page.locator('#form-notice').textContent()).toMatch(/password is changed/)

      await page.locator('main').getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(/\/login/)
      expect(await page.locator('#form-notice').textContent()).toBe('You are logged out.')
      await page.goto('/account')
      expect(new URL(page.url()).pathname).toBe('/login')

      await logIn(page, { ...user, password: user.password })
      await expect.poll(() => page.locator('#form-error').textContent()).toMatch(/wrong/)
      await logIn(page, { ...user, password: 'a brand new password' }, '/account')
      await page.waitForURL('**/account')
    })
  })

  it('deletes your own account from /account only after a confirmation, and logs you out', async () => {
    const user = await createE2eAccount('user', 'self-delete')
    await inBrowser('account-delete', async (page) => {
      await logIn(page, user, '/account')
      await page.waitForURL('**/account')
      await page.getByRole('link', { name: 'Delete your account…' }).click()
      await page.waitForURL('**/account?delete=me')
      // Cancel goes back and deletes nothing.
      await page.getByRole('link', { name: 'Cancel' }).click()
      await page.waitForURL('**/account')
      expect(await page.getByRole('button', { name: 'Yes, delete my account' }).count()).toBe(0)

      await page.getByRole('link', { name: 'Delete your account…' }).click()
      expect(await page.getByText(user.email).count()).toBeGreaterThan(0)
      await page.getByRole('button', { name: 'Yes, delete my account' }).click()
      await page.waitForURL((url) => url.pathname === '/')
      expect(await page.locator('#form-notice').textContent()).toBe(
        'Your account is deleted, and this browser is logged out.',
      )
      expect(await page.locator('main').getByRole('link', { name: 'Log in' }).count()).toBe(1)
      await page.goto('/account')
      expect(new URL(page.url()).pathname).toBe('/login')
      await logIn(page, user)
      await expect.poll(() => page.locator('#form-error').textContent()).toMatch(/wrong/)
    })
  })

  it('works with JavaScript turned off: log in, create a user, log out from the header', async () => {
    const admin = await createE2eAccount('admin', 'nojs')
    await inBrowser(
      'no-javascript',
      async (page) => {
        await logIn(page, admin, '/users')
        await page.waitForURL('**/users')
        await page.getByLabel('Name', { exact: true }).fill('No Script')
        await page
          .getByLabel('Email', { exact: true })
          .fill(`e2e-nojs-${crypto.randomUUID().slice(0, 8)}@example.test`)
        await page.getByRole('button', { name: 'Create user' }).click()
        await expect.poll(() => page.locator('#form-notice').textContent()).toMatch(/^Created No Script/)
        await page.locator('header').getByRole('button', { name: 'Log out' }).click()
        await page.waitForURL(/\/login/)
        await page.goto('/users')
        expect(new URL(page.url()).pathname).toBe('/login')
      },
      { javaScriptEnabled: false },
    )
  })

  it('renders the API reference at /api/docs from our own origin only', async () => {
    await inBrowser('api-docs', async (page, requests) => {
      await page.goto('/api/docs')
      // The reference's sidebar names operations by summary; /api/hello is in the first group's content.
      await page.getByText('/api/hello').first().waitFor({ timeout: 30_000 })
      expect(await page.title()).toMatch(/Edgeline/)
      const elsewhere = requests.filter((url) => url.origin !== appUrl && url.protocol.startsWith('http'))
      expect(elsewhere.map(String)).toEqual([])
    })
  })

  it('lists each operation of /api/users once in the reference, by its summary, under its tag', async () => {
    await inBrowser('api-docs-sidebar', async (page) => {
      await page.goto('/api/docs')
      await page.getByRole('button', { name: 'Open Group - Users' }).click({ timeout: 30_000 })
      for (const summary of ['List users', 'Create a user', 'Get a user', 'Update a user', 'Delete a user']) {
        await page.getByText(summary, { exact: true }).first().waitFor()
        expect(await page.getByText(summary, { exact: true }).count(), summary).toBe(1)
      }
    })
  })
})

describe('the emailed-link pages in Chromium, without JavaScript', () => {
  /** The one link of the newest message to `to` in the outbox, as a path on this site. */
  async function linkMailedTo(to: string): Promise<string> {
    const [message] = await latestMessages(testDatabase(), { limit: 1, to })
    const link = new URL(message?.text?.match(/https?:\/\/\S+/)?.[0] ?? '')
    return `${link.pathname}${link.search}`
  }

  it('gets a forgetful user back in: /login → /forgot-password → the mailed link → a new password, signed in', async () => {
    const user = await createE2eAccount('user', 'forgetful')
    await inBrowser(
      'forgot-password',
      async (page) => {
        await page.goto('/login')
        await page.getByRole('link', { name: 'Forgot your password?' }).click()
        await page.waitForURL('**/forgot-password')
        await page.getByLabel('Email').fill(user.email)
        await page.getByRole('button', { name: 'Mail me a link' }).click()
        await expect
          .poll(() => page.locator('#form-notice').textContent())
          .toMatch(/If an account has this address/)

        await page.goto(await linkMailedTo(user.email))
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Choose a new password')
        await page.getByLabel(/New password/).fill('short')
        await page.getByRole('button', { name: 'Change my password' }).click()
        await expect.poll(() => page.locator('#newPassword-error').textContent()).toMatch(/at least 8/)
        await page.getByLabel(/New password/).fill('a new password from the browser')
        await page.getByRole('button', { name: 'Change my password' }).click()
        await page.waitForURL((url) => url.pathname === '/')
        expect(await page.locator('#signed-in-as').textContent()).toBe(`Signed in as ${user.name} (user)`)
      },
      { javaScriptEnabled: false },
    )
  })

  it('welcomes an invited user: the mailed link sets their first password and signs them in', async () => {
    const admin = await createE2eAccount('admin', 'inviting')
    const email = `e2e-invitee-${crypto.randomUUID().slice(0, 8)}@example.test`
    await inBrowser(
      'invitation',
      async (page) => {
        await logIn(page, admin, '/users')
        await page.waitForURL('**/users')
        const created = await page.request.post('/api/users', { data: { name: 'Invitee', email } })
        expect(created.status()).toBe(201)
        await page.context().clearCookies()
        await page.goto(await linkMailedTo(email))
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
          'Welcome: choose your password',
        )
        await page.getByLabel(/New password/).fill('my very first password')
        await page.getByRole('button', { name: 'Set my password' }).click()
        await page.waitForURL((url) => url.pathname === '/')
        expect(await page.locator('#signed-in-as').textContent()).toBe('Signed in as Invitee (user)')
      },
      { javaScriptEnabled: false },
    )
  })

  it('confirms a new email address from its link with a button press, then says to log in with it', async () => {
    const user = await createE2eAccount('user', 'emailmover')
    const newEmail = `e2e-moved-${crypto.randomUUID().slice(0, 8)}@example.test`
    await inBrowser(
      'verify-email',
      async (page) => {
        await logIn(page, user, '/account')
        await page.waitForURL('**/account')
        const asked = await page.request.post('/api/auth/email', {
          data: { newEmail, currentPassword: user.password },
        })
        expect(asked.status()).toBe(202)
        const link = await linkMailedTo(newEmail)
        await page.goto(link)
        // Opening the link changes nothing: only the button does.
        await page.getByRole('button', { name: 'Use this address for my account' }).click()
        await page.waitForURL('**/login?**')
        expect(await page.locator('#form-notice').textContent()).toBe(
          `Your email address is now ${newEmail}. Log in with it.`,
        )
        await page.goto(link)
        await page.getByRole('button', { name: 'Use this address for my account' }).click()
        await expect.poll(() => page.locator('#form-error').textContent()).toMatch(/ask for a new one/)
      },
      { javaScriptEnabled: false },
    )
  })
})

describe.runIf(README_SCREENSHOTS)('the README screenshots', () => {
  it('shows /users with the demo users, signed in as an admin, and the API reference', async () => {
    await seedDemoUsers(testDatabase())
    const admin = await createE2eAccount('admin', 'screens')
    const folder = README_SCREENSHOTS as string
    mkdirSync(folder, { recursive: true })
    await inBrowser('readme-screenshots', async (page) => {
      await logIn(page, admin, '/users?q=example.com')
      await page.waitForURL(/\/users\?q=/)
      await page.screenshot({ path: `${folder}/users.png` })
      await page.goto('/api/docs')
      await page.getByText('/api/hello').first().waitFor({ timeout: 30_000 })
      await page.screenshot({ path: `${folder}/api-docs.png` })
    })
  })
})
