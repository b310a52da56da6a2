/**
 * The emailed links, through the API and the outbox: password reset, invitations, email changes, and unlocking an
 * account. Each message is read back from the outbox as `npm run mail:outbox` reads it.
 */
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { latestMessages, type QueuedMessage } from '../../db/queries/outbox'
import { hashRefreshToken } from '../../edge/auth/refresh-tokens'
import type { AccessLogEntry } from '../../edge/middleware/access-log'
import { RESET_REQUESTED } from '../../edge/routes/auth/recovery'
import {
  asNewAdmin,
  createAccount,
  createTestApp,
  createUserViaApi,
  expectThrottled,
  jsonInit,
  type ProblemBody,
  type SessionBody,
  TEST_APP_ORIGIN,
  testAuthConfig,
  testDatabase,
  type UserBody,
  uniqueEmail,
} from '../api/support'

const { app, logs } = createTestApp()
const admin = asNewAdmin(app)
const db = testDatabase()
const NEW_PASSWORD = 'a password chosen from a link'

const post = (path: string, body: unknown, headers: Record<string, string> = {}, target = app) =>
  target.request(path, jsonInit('POST', body, headers))
const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` })
const logIn = (email: string, password: string) => post('/api/auth/login', { email, password })

/** The messages to `to`, newest first. */
const mailTo = (to: string) => latestMessages(db, { limit: 10, to })

/** The one link in a message: absolute, on APP_ORIGIN, to `page`; its token. */
function linkIn(message: QueuedMessage | undefined, page: string): { url: URL; token: string } {
  const text = message?.text ?? ''
  const found = text.match(/https?:\/\/\S+/g) ?? []
  expect(found, text).toHaveLength(1)
  const url = new URL(found[0] ?? '')
  expect(url.origin).toBe(TEST_APP_ORIGIN)
  expect(url.pathname).toBe(page)
  return { url, token: url.searchParams.get('token') ?? '' }
}

async function expectProblem(response: Response, status: number, type: string) {
  expect(response.status, await response.clone().text()).toBe(status)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  expect(await response.json()).toMatchObject({ type, status })
}

async function resetLinkFor(email: string) {
  const response = await post('/api/auth/password-reset', { email })
  expect(response.status).toBe(202)
  const [message] = await mailTo(email)
  expect(message?.kind).toBe('password-reset')
  return linkIn(message, '/reset-password').token
}

const confirm = (token: string, newPassword = NEW_PASSWORD) =>
  post('/api/auth/password-reset/confirm', { token, newPassword })

describe('password reset', () => {
  it('answers 202 with the same body whether or not the account exists, and mails only an existing one', async () => {
    const account = await createAccount(app, 'user', 'forgetful')
    const nobody = uniqueEmail('nobody')
    const answers = await Promise.all([
      post('/api/auth/password-reset', { email: account.user.email }),
      post('/api/auth/password-reset', { email: nobody }),
    ])
    const bodies = await Promise.all(answers.map((answer) => answer.json()))
    expect(answers.map((answer) => answer.status)).toEqual([202, 202])
    expect(bodies[0]).toEqual({ detail: RESET_REQUESTED })
    expect(bodies[1]).toEqual(bodies[0])
    expect(await mailTo(nobody)).toEqual([])
    const [message] = await mailTo(account.user.email.toUpperCase())
    expect(message).toMatchObject({ to: account.user.email, subject: 'Reset your Edgeline password' })
    expect(message?.text).not.toContain(account.password)
  })

  it('sets a new password from the link, ends every other session, and refuses the link a second time', async () => {
    const account = await createAccount(app, 'user', 'resetter')
    const token = await resetLinkFor(account.user.email)
    // Only the token's hash is stored.
    const stored = await db.execute<{ token_hash: string }>(sql`select token_hash from account_tokens`)
    const hashes = stored.rows.map((row) => row.token_hash)
    expect(hashes).toContain(await hashRefreshToken(token))
    expect(hashes).not.toContain(token)
    expect(token.length).toBeGreaterThanOrEqual(22) // ≥ 128 bits of base64url

    const confirmed = await confirm(token)
    expect(confirmed.status, await confirmed.clone().text()).toBe(200)
    const session = (await confirmed.json()) as SessionBody
    expect(session.user.email).toBe(account.user.email)
    expect(confirmed.headers.get('set-cookie')).toContain('edgeline_session=')

    // The session from before the reset can no longer renew itself; the new one can.
    await expectProblem(
      await post('/api/auth/refresh', { refreshToken: account.refreshToken }),
      401,
      '/problems/invalid-refresh-token',
    )
    expect((await post('/api/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(200)
    await expectProblem(
      await logIn(account.user.email, account.password),
      401,
      '/problems/invalid-credentials',
    )
    expect((await logIn(account.user.email, NEW_PASSWORD)).status).toBe(200)
    await expectProblem(await confirm(token, 'yet another password'), 400, '/problems/invalid-link-token')
  })

  it('voids a link once a newer one is issued, once the password changes, and after 30 minutes', async () => {
    const account = await createAccount(app, 'user', 'voided')
    const first = await resetLinkFor(account.user.email)
    const second = await resetLinkFor(account.user.email)
    await expectProblem(await confirm(first), 400, '/problems/invalid-link-token')

    const changed = await post(
      '/api/auth/password',
      { currentPassword: account.password, newPassword: 'changed the usual way' },
      bearer(account.accessToken),
    )
    expect(changed.status).toBe(200)
    await expectProblem(await confirm(second), 400, '/problems/invalid-link-token')

    const third = await resetLinkFor(account.user.email)
    const thirtyMinutesLater = await db.execute<{ expires_in: number }>(sql`
      select extract(epoch from expires_at - created_at)::int as expires_in from account_tokens
      where token_hash = ${await hashRefreshToken(third)}`)
    expect(thirtyMinutesLater.rows[0]?.expires_in).toBe(30 * 60)
    await db.execute(sql`update account_tokens set expires_at = now() - interval '1 second'
      where token_hash = ${await hashRefreshToken(third)}`)
    await expectProblem(await confirm(third), 400, '/problems/invalid-link-token')
  })

  it('refuses a malformed token and a weak new password without spending the link', async () => {
    const account = await createAccount(app, 'user', 'weak')
    const token = await resetLinkFor(account.user.email)
    await expectProblem(await confirm('not-a-token'), 400, '/problems/invalid-link-token')
    await expectProblem(await confirm(token, 'short'), 422, '/problems/validation-failed')
    expect((await confirm(token)).status).toBe(200)
  })

  it('limits requests per address like log-in, in buckets of its own (log-in still works)', async () => {
    const throttle = { maxFailuresPerEmail: 2, maxFailuresPerClient: 50, windowSeconds: 600 }
    const { app: throttled } = createTestApp({
      config: { auth: testAuthConfig({ loginThrottle: throttle }) },
    })
    const account = await createAccount(throttled, 'user', 'resetlimit')
    const ask = () => post('/api/auth/password-reset', { email: account.user.email }, {}, throttled)
    expect((await ask()).status).toBe(202)
    expect((await ask()).status).toBe(202)
    const refused = await ask()
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(((await refused.json()) as ProblemBody).type).toBe('/problems/too-many-reset-requests')
    expect(
      (
        await post(
          '/api/auth/login',
          { email: account.user.email, password: account.password },
          {},
          throttled,
        )
      ).status,
    ).toBe(200)
  })
})

describe('invitations', () => {
  it('mails a user an admin creates a link that sets their first password, then they log in', async () => {
    const email = uniqueEmail('invited')
    const user = await createUserViaApi(admin, { name: 'Invited', email })
    const [message] = await mailTo(email)
    expect(message).toMatchObject({ kind: 'invitation', to: email })
    const { url, token } = linkIn(message, '/reset-password')
    expect(url.searchParams.get('invited')).toBe('1')
    const expiry = await db.execute<{ expires_in: number }>(sql`
      select extract(epoch from expires_at - created_at)::int as expires_in from account_tokens
      where token_hash = ${await hashRefreshToken(token)}`)
    expect(expiry.rows[0]?.expires_in).toBe(7 * 24 * 60 * 60)

    const set = await confirm(token)
    expect(set.status, await set.clone().text()).toBe(200)
    expect(((await set.json()) as SessionBody).user.id).toBe(user.id)
    expect((await logIn(email, NEW_PASSWORD)).status).toBe(200)
  })

  it('resends an invitation (the earlier link stops working), and refuses once a password is set', async () => {
    const email = uniqueEmail('reinvited')
    const user = await createUserViaApi(admin, { name: 'Reinvited', email })
    const first = linkIn((await mailTo(email))[0], '/reset-password').token
    const resent = await admin.request(`/api/users/${user.id}/invitation`, { method: 'POST' })
    expect(resent.status).toBe(202)
    const messages = await mailTo(email)
    expect(messages).toHaveLength(2)
    const second = linkIn(messages[0], '/reset-password').token
    await expectProblem(await confirm(first), 400, '/problems/invalid-link-token')
    expect((await confirm(second)).status).toBe(200)
    await expectProblem(
      await admin.request(`/api/users/${user.id}/invitation`, { method: 'POST' }),
      409,
      '/problems/account-active',
    )
    await expectProblem(
      await admin.request('/api/users/2147483647/invitation', { method: 'POST' }),
      404,
      '/problems/not-found',
    )
  })

  it('voids an invitation and a reset link once the account has another address: they went to the old one', async () => {
    const typo = uniqueEmail('typo')
    const user = await createUserViaApi(admin, { name: 'Mistyped', email: typo })
    const invitation = linkIn((await mailTo(typo))[0], '/reset-password').token
    const fixed = uniqueEmail('fixed')
    expect((await admin.request(`/api/users/${user.id}`, jsonInit('PATCH', { email: fixed }))).status).toBe(
      200,
    )
    await expectProblem(await confirm(invitation), 400, '/problems/invalid-link-token')

    const account = await createAccount(app, 'user', 'readdressed')
    const reset = await resetLinkFor(account.user.email)
    const moved = uniqueEmail('readdressedto')
    const patched = await admin.request(`/api/users/${account.user.id}`, jsonInit('PATCH', { email: moved }))
    expect(patched.status).toBe(200)
    await expectProblem(await confirm(reset), 400, '/problems/invalid-link-token')
  })

  it('lets only an admin send invitations', async () => {
    const user = await createAccount(app, 'user', 'notadmin')
    await expectProblem(
      await user.client.request(`/api/users/${user.user.id}/invitation`, { method: 'POST' }),
      403,
      '/problems/forbidden',
    )
  })

  it('invites nobody when the email is taken, nor again on a replay of the same create', async () => {
    const email = uniqueEmail('keyedinvite')
    const key = crypto.randomUUID()
    const create = () =>
      admin.request('/api/users', jsonInit('POST', { name: 'Keyed', email }, { 'Idempotency-Key': key }))
    expect((await create()).status).toBe(201)
    expect((await create()).status).toBe(201)
    expect(
      (await admin.request('/api/users', jsonInit('POST', { name: 'Again', email: email.toUpperCase() })))
        .status,
    ).toBe(409)
    expect(await mailTo(email)).toHaveLength(1)
  })
})

describe('email change', () => {
  it('takes the current password, changes only when the new address confirms, and tells the old one', async () => {
    const account = await createAccount(app, 'user', 'mover')
    const newEmail = uniqueEmail('moved')
    const asked = await post(
      '/api/auth/email',
      { newEmail, currentPassword: account.password },
      bearer(account.accessToken),
    )
    expect(asked.status, await asked.clone().text()).toBe(202)
    const still = await account.client.request(`/api/users/${account.user.id}`)
    expect(((await still.json()) as UserBody).email).toBe(account.user.email)

    const { token } = linkIn((await mailTo(newEmail))[0], '/verify-email')
    const confirmed = await post('/api/auth/email/confirm', { token })
    expect(confirmed.status).toBe(200)
    expect(((await confirmed.json()) as UserBody).email).toBe(newEmail)
    const [told] = await mailTo(account.user.email)
    expect(told).toMatchObject({ kind: 'email-changed' })
    expect(told?.text).toContain(newEmail)
    expect((await logIn(newEmail, account.password)).status).toBe(200)
    await expectProblem(
      await logIn(account.user.email, account.password),
      401,
      '/problems/invalid-credentials',
    )
    await expectProblem(await post('/api/auth/email/confirm', { token }), 400, '/problems/invalid-link-token')
  })

  it('refuses a wrong current password and an address another account has, mailing nothing', async () => {
    const account = await createAccount(app, 'user', 'mover2')
    const other = await createAccount(app, 'user', 'taken')
    const newEmail = uniqueEmail('nowhere')
    const wrong = await post(
      '/api/auth/email',
      { newEmail, currentPassword: 'wrong' },
      bearer(account.accessToken),
    )
    await expectProblem(wrong, 422, '/problems/wrong-password')
    const taken = await post(
      '/api/auth/email',
      { newEmail: other.user.email.toUpperCase(), currentPassword: account.password },
      bearer(account.accessToken),
    )
    await expectProblem(taken, 409, '/problems/email-taken')
    expect(await mailTo(newEmail)).toEqual([])
  })

  it("changes anyone's email at once for an admin, and records it in the access log line", async () => {
    const user = await createUserViaApi(admin, { name: 'Moved', email: uniqueEmail('adminmoved') })
    const newEmail = uniqueEmail('adminmovedto')
    const response = await admin.request(`/api/users/${user.id}`, jsonInit('PATCH', { email: newEmail }))
    expect(response.status).toBe(200)
    expect(((await response.json()) as UserBody).email).toBe(newEmail)
    const line = logs.findLast((entry: AccessLogEntry) => entry.path === `/api/users/${user.id}`)
    expect(line?.audit).toMatchObject({ action: 'email-changed-by-admin', userId: user.id })
    expect(JSON.stringify(line)).not.toContain(newEmail)
  })
})

describe('unlocking an account', () => {
  it('lets an admin clear the log-in throttle of a locked-out account', async () => {
    const throttle = { maxFailuresPerEmail: 2, maxFailuresPerClient: 50, windowSeconds: 600 }
    const { app: throttled } = createTestApp({
      config: { auth: testAuthConfig({ loginThrottle: throttle }) },
    })
    const locked = await createAccount(throttled, 'user', 'locked')
    const adminOfThrottled = asNewAdmin(throttled)
    const attempt = (password: string) =>
      post('/api/auth/login', { email: locked.user.email, password }, {}, throttled)
    await attempt('wrong 1')
    await attempt('wrong 2')
    await expectThrottled(await attempt(locked.password), 600)
    await expectProblem(
      await locked.client.request(`/api/users/${locked.user.id}/login-throttle`, { method: 'DELETE' }),
      403,
      '/problems/forbidden',
    )
    const unlocked = await adminOfThrottled.request(`/api/users/${locked.user.id}/login-throttle`, {
      method: 'DELETE',
    })
    expect(unlocked.status).toBe(204)
    expect((await attempt(locked.password)).status).toBe(200)
    await expectProblem(
      await adminOfThrottled.request('/api/users/2147483647/login-throttle', { method: 'DELETE' }),
      404,
      '/problems/not-found',
    )
  })
})
