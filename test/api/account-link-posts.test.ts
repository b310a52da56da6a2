/** The emailed-link pages' forms without JavaScript: forgot password, choose a password, confirm a new email. */
import { describe, expect, it } from 'vitest'
import { latestMessages } from '../../db/queries/outbox'
import {
  submitForgotPassword,
  submitResetPassword,
  submitVerifyEmail,
} from '../../edge/pages/account-link-posts'
import { createOutcomeSeal } from '../../edge/pages/outcome-seal'
import { formPost, formSiteOf, landing } from './form-support'
import { createAccount, createTestApp, jsonInit, TEST_JWT_SECRET, testDatabase, uniqueEmail } from './support'

const { app } = createTestApp()
const site = formSiteOf(app)
const seal = createOutcomeSeal(TEST_JWT_SECRET)

async function linkTokenFor(email: string): Promise<string> {
  const [message] = await latestMessages(testDatabase(), { limit: 1, to: email })
  return new URL(message?.text?.match(/https?:\/\/\S+/)?.[0] ?? 'http://x').searchParams.get('token') ?? ''
}

/** The outcome a page would show at `url`, for the viewer it was sealed for. */
const outcomeAt = (url: URL, viewer = 'anonymous') => seal.open(url.searchParams, url.pathname, viewer)

describe('the forgot-password form', () => {
  it('mails a link and comes back with the same notice whether or not the account exists', async () => {
    const account = await createAccount(app)
    const notices: (string | undefined)[] = []
    for (const email of [account.user.email, uniqueEmail('nobody')]) {
      const url = landing(await submitForgotPassword(site, formPost('/forgot-password/submit', { email })))
      expect(url.pathname).toBe('/forgot-password')
      notices.push((await outcomeAt(url)).notice)
    }
    expect(notices[0]).toContain('If an account has this address')
    expect(notices[1]).toBe(notices[0])
    expect(await linkTokenFor(account.user.email)).not.toBe('')
  })

  it('brings a field error back with what was typed', async () => {
    const url = landing(
      await submitForgotPassword(site, formPost('/forgot-password/submit', { email: 'nope' })),
    )
    expect(url.searchParams.get('email')).toBe('nope')
    expect((await outcomeAt(url)).fieldErrors.email).toBe('must be a valid email address')
  })
})

describe('the choose-a-password form', () => {
  it('sets the password, signs the browser in and sends it home; the link then fails and says so', async () => {
    const account = await createAccount(app)
    await submitForgotPassword(site, formPost('/forgot-password/submit', { email: account.user.email }))
    const token = await linkTokenFor(account.user.email)
    const fields = { token, newPassword: 'a new password from a form' }
    const done = await submitResetPassword(site, formPost('/reset-password/submit', fields))
    const home = landing(done)
    expect(home.pathname).toBe('/')
    expect(done.headers.getSetCookie().some((cookie) => cookie.startsWith('__Host-edgeline_session='))).toBe(
      true,
    )
    expect((await outcomeAt(home, `user:${account.user.id}`)).notice).toContain('Your password is set')
    const login = await app.request(
      '/api/auth/login',
      jsonInit('POST', { email: account.user.email, password: fields.newPassword }),
    )
    expect(login.status).toBe(200)

    const again = landing(await submitResetPassword(site, formPost('/reset-password/submit', fields)))
    expect(again.pathname).toBe('/reset-password')
    expect(again.searchParams.get('token')).toBe(token)
    expect((await outcomeAt(again)).error).toContain('ask for a new one')
  })
})

describe('the confirm-your-email form', () => {
  it('changes the address and sends the browser to log in with it', async () => {
    const account = await createAccount(app)
    const newEmail = uniqueEmail('formmoved')
    const asked = await account.client.request(
      '/api/auth/email',
      jsonInit('POST', { newEmail, currentPassword: account.password }),
    )
    expect(asked.status).toBe(202)
    const token = await linkTokenFor(newEmail)
    const url = landing(await submitVerifyEmail(site, formPost('/verify-email/submit', { token })))
    expect(url.pathname).toBe('/login')
    expect((await outcomeAt(url)).notice).toBe(`Your email address is now ${newEmail}. Log in with it.`)
    const bad = landing(await submitVerifyEmail(site, formPost('/verify-email/submit', { token })))
    expect(bad.pathname).toBe('/verify-email')
    expect((await outcomeAt(bad)).error).toContain('ask for a new one')
  })

  it('refuses a post from another site', async () => {
    const response = await submitVerifyEmail(
      site,
      formPost('/verify-email/submit', { token: 'x' }, undefined, null),
    )
    expect(response.status).toBe(403)
  })
})
