/** The `/account` page's no-JavaScript forms: rename yourself, change your password or email, delete your account. */
import { describe, expect, it } from 'vitest'
import { latestMessages } from '../../db/queries/outbox'
import { submitAccountForm } from '../../edge/pages/account-form-posts'
import { formPost, formSiteOf, landing, SITE } from './form-support'
import { type Account, createAccount, createTestApp, jsonInit, testDatabase, uniqueEmail } from './support'

const { app } = createTestApp()
const site = formSiteOf(app)

/** A form post from the `/account` page, as a browser holding `account`'s session cookie sends it. */
function accountForm(fields: Record<string, string>, account?: Account, origin: string | null = SITE) {
  return submitAccountForm(site, formPost('/account/submit', fields, account, origin))
}

const refresh = (refreshToken: string) => app.request('/api/auth/refresh', jsonInit('POST', { refreshToken }))
const logIn = (email: string, password: string) =>
  app.request('/api/auth/login', jsonInit('POST', { email, password }))

describe('the /account form posts', () => {
  it('renames the signed-in user and comes back with a notice', async () => {
    const account = await createAccount(app)
    const back = landing(
      await accountForm({ intent: 'rename', id: String(account.user.id), name: 'New Me' }, account),
    )
    expect(back.pathname).toBe('/account')
    // Sealed for this user on this page: the page shows it to them, and to nobody else.
    const shown = await site.seal.open(back.searchParams, '/account', `user:${account.user.id}`)
    expect(shown).toEqual({ notice: 'Your name is changed.', fieldErrors: {} })
    expect(await site.seal.open(back.searchParams, '/account', 'anonymous')).toEqual({ fieldErrors: {} })
    const me = await account.client.request('/api/auth/me')
    expect(((await me.json()) as { user: { name: string } }).user.name).toBe('New Me')
  })

  it('brings a refused name back with its field error and what was typed', async () => {
    const account = await createAccount(app)
    const back = landing(
      await accountForm({ intent: 'rename', id: String(account.user.id), name: 'x'.repeat(201) }, account),
    )
    expect(back.searchParams.get('field.name')).toBe('must be at most 200 characters')
    expect(back.searchParams.get('name')).toBe('x'.repeat(201))
  })

  it('changes the password, passes the new session cookies on, and ends the old session', async () => {
    const account = await createAccount(app)
    const response = await accountForm(
      { intent: 'password', currentPassword: account.password, newPassword: 'a brand new password' },
      account,
    )
    expect(landing(response).searchParams.get('notice')).toMatch(/password is changed/)
    expect(response.headers.getSetCookie().join('\n')).toMatch(/__Host-edgeline_session=[^;]+;/)
    expect((await refresh(account.refreshToken)).status).toBe(401)
    expect((await logIn(account.user.email, 'a brand new password')).status).toBe(200)
  })

  it('shows a wrong current password as a field error and changes nothing', async () => {
    const account = await createAccount(app)
    const response = await accountForm(
      { intent: 'password', currentPassword: 'not the password', newPassword: 'a brand new password' },
      account,
    )
    const back = landing(response)
    expect(back.searchParams.get('field.currentPassword')).toBe('The current password is wrong.')
    expect(back.search).not.toMatch(/brand|not\+the/)
    expect(response.headers.getSetCookie()).toEqual([])
    expect((await logIn(account.user.email, account.password)).status).toBe(200)
  })

  it('asks for an email change: a link goes to the new address, and the account keeps its address until then', async () => {
    const account = await createAccount(app)
    const newEmail = uniqueEmail('form-moved')
    const back = landing(
      await accountForm({ intent: 'email', newEmail, emailPassword: account.password }, account),
    )
    expect(await site.seal.open(back.searchParams, '/account', `user:${account.user.id}`)).toEqual({
      notice: `A link to confirm the change is on its way to ${newEmail}. Until it is followed, nothing changes.`,
      fieldErrors: {},
    })
    const [message] = await latestMessages(testDatabase(), { limit: 1, to: newEmail })
    expect(message?.text).toMatch(/\/verify-email\?token=/)
    expect(back.search).not.toContain(encodeURIComponent(account.password))
    const me = await account.client.request('/api/auth/me')
    expect(((await me.json()) as { user: { email: string } }).user.email).toBe(account.user.email)
  })

  it("shows a wrong password beside the email form's own field, keeps the new address typed, and mails nothing", async () => {
    const account = await createAccount(app)
    const newEmail = uniqueEmail('form-not-moved')
    const back = landing(
      await accountForm({ intent: 'email', newEmail, emailPassword: 'not the password' }, account),
    )
    expect(back.searchParams.get('field.emailPassword')).toBe('The current password is wrong.')
    // Not beside the password form's field of the same meaning.
    expect(back.searchParams.get('field.currentPassword')).toBeNull()
    expect(back.searchParams.get('newEmail')).toBe(newEmail)
    expect(back.search).not.toMatch(/not\+the|not%20the/)
    expect(await latestMessages(testDatabase(), { limit: 1, to: newEmail })).toEqual([])
  })

  it('brings an address that is not one back with its field error', async () => {
    const account = await createAccount(app)
    const back = landing(
      await accountForm(
        { intent: 'email', newEmail: 'not an email', emailPassword: account.password },
        account,
      ),
    )
    expect(back.searchParams.get('field.newEmail')).toBe('must be a valid email address')
    expect(back.searchParams.get('newEmail')).toBe('not an email')
  })

  it('deletes your own account, ends its session, clears the cookies and says goodbye on the home page', async () => {
    const account = await createAccount(app)
    const response = await accountForm({ intent: 'delete' }, account)
    const back = landing(response)
    expect(back.pathname).toBe('/')
    // Sealed for the visitor the browser is once its cookies are gone.
    expect(await site.seal.open(back.searchParams, '/', 'anonymous')).toEqual({
      notice: 'Your account is deleted, and this browser is logged out.',
      fieldErrors: {},
    })
    const cleared = response.headers.getSetCookie()
    expect(cleared.map((cookie) => cookie.split('=')[0]).sort()).toEqual([
      '__Host-edgeline_session',
      '__Host-edgeline_sid',
      '__Secure-edgeline_refresh',
    ])
    for (const cookie of cleared) expect(cookie).toMatch(/Max-Age=0/)
    expect((await logIn(account.user.email, account.password)).status).toBe(401)
    expect((await refresh(account.refreshToken)).status).toBe(401)
    const admin = await createAccount(app, 'admin')
    expect((await admin.client.request(`/api/users/${account.user.id}`)).status).toBe(404)
  })

  it('deletes only the signed-in account, whatever id the form carries', async () => {
    const [account, bystander] = [await createAccount(app), await createAccount(app)]
    const back = landing(await accountForm({ intent: 'delete', id: String(bystander.user.id) }, account))
    expect(back.pathname).toBe('/')
    expect((await logIn(bystander.user.email, bystander.password)).status).toBe(200)
    expect((await logIn(account.user.email, account.password)).status).toBe(401)
  })

  it('sends a signed-out browser to the log-in page, to come back to /account', async () => {
    const back = landing(await accountForm({ intent: 'rename', id: '1', name: 'Nobody' }))
    expect(`${back.pathname}${back.search}`).toBe('/login?next=%2Faccount')
  })

  it('refuses a post from another site, or without an Origin (CSRF)', async () => {
    const account = await createAccount(app)
    for (const origin of ['https://evil.example', null]) {
      const rename = { intent: 'rename', id: String(account.user.id), name: 'Forged' }
      expect((await accountForm(rename, account, origin)).status).toBe(403)
      expect((await accountForm({ intent: 'delete' }, account, origin)).status).toBe(403)
    }
    expect((await logIn(account.user.email, account.password)).status).toBe(200)
    const me = await account.client.request('/api/auth/me')
    expect(((await me.json()) as { user: { name: string } }).user.name).toBe(account.user.name)
  })
})
