/**
 * The account flows on the built app, both servers, as a person meets them: invited → sets a password → logs in;
 * forgets it → the email in the outbox → resets → logs in with the new one, old sessions dead, the link refused a
 * second time; changes their email → confirms → logs in with the new address; locked out → unlocked by an admin.
 */

import { inArray } from 'drizzle-orm'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { latestMessages } from '../../db/queries/outbox'
import { loginAttempts } from '../../db/schema'
import { clientBucket } from '../../edge/auth/login-throttle'
import { createE2eAccount } from './accounts'
import { checkedFetch, expectEveryApiAnswerDocumented } from './checked-fetch'

const baseUrl = inject('appUrl')
const db = createDatabase({ databaseUrl: inject('databaseUrl'), sqlGatewayEndpoint: inject('sqlEndpoint') })

afterAll(expectEveryApiAnswerDocumented)

const call = (path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
  checkedFetch(`${baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })

async function logIn(email: string, password: string) {
  const response = await call('/api/auth/login', { body: { email, password } })
  return { status: response.status, session: response.ok ? ((await response.json()) as Session) : undefined }
}

interface Session {
  accessToken: string
  refreshToken: string
  user: { id: number; email: string }
}

/** The newest message to `to`, as `npm run mail:outbox -- --json` prints it. */
async function newestMailTo(to: string) {
  const [message] = await latestMessages(db, { limit: 1, to })
  expect(message, `no mail to ${to}`).toBeDefined()
  return message
}

/** The newest message to `to` and the one link in it, with its token. */
async function mailTo(to: string) {
  const message = await newestMailTo(to)
  const link = new URL(message?.text?.match(/https?:\/\/\S+/)?.[0] ?? '')
  // Absolute, to the server that sent it (no APP_ORIGIN here: nothing leaves the outbox). `next start` names
  // itself localhost whatever address it was reached at: the reason APP_ORIGIN is required once mail is sent.
  const app = new URL(baseUrl)
  expect([link.protocol, link.port]).toEqual([app.protocol, app.port])
  expect(['localhost', '127.0.0.1']).toContain(link.hostname)
  return { message, link, token: link.searchParams.get('token') ?? '' }
}

const unique = (label: string) => `e2e-${label}-${crypto.randomUUID().slice(0, 8)}@example.test`

describe('getting into an account on the built app', () => {
  it('invite → set a password from the emailed link → log in', async () => {
    const admin = await createE2eAccount('admin', 'inviter')
    const { session } = await logIn(admin.email, admin.password)
    const email = unique('invited')
    const created = await call('/api/users', {
      body: { name: 'Invited Person', email },
      token: session?.accessToken,
    })
    expect(created.status).toBe(201)
    const { message, link, token } = await mailTo(email)
    expect(message?.subject).toBe('You are invited to Edgeline')
    expect(link.pathname).toBe('/reset-password')
    expect((await logIn(email, 'anything at all')).status).toBe(401)

    const set = await call('/api/auth/password-reset/confirm', {
      body: { token, newPassword: 'my first password' },
    })
    expect(set.status).toBe(200)
    expect((await logIn(email, 'my first password')).status).toBe(200)
  })

  it('forgot → email in the outbox → reset → log in with the new password; old sessions dead; the link refused again', async () => {
    const person = await createE2eAccount('user', 'forgot')
    const before = await logIn(person.email, person.password)
    expect(before.status).toBe(200)

    const asked = await call('/api/auth/password-reset', { body: { email: person.email } })
    expect(asked.status).toBe(202)
    const { message, link, token } = await mailTo(person.email)
    expect(message?.subject).toBe('Reset your Edgeline password')
    expect(message?.text).not.toContain(person.password)
    expect(link.pathname).toBe('/reset-password')

    const reset = await call('/api/auth/password-reset/confirm', {
      body: { token, newPassword: 'my new password' },
    })
    expect(reset.status).toBe(200)
    expect((await logIn(person.email, 'my new password')).status).toBe(200)
    expect((await logIn(person.email, person.password)).status).toBe(401)
    const oldRefresh = await call('/api/auth/refresh', {
      body: { refreshToken: before.session?.refreshToken },
    })
    expect(oldRefresh.status).toBe(401)
    const again = await call('/api/auth/password-reset/confirm', {
      body: { token, newPassword: 'a third password' },
    })
    expect(again.status).toBe(400)
    expect(((await again.json()) as { type: string }).type).toBe('/problems/invalid-link-token')
  })

  it('email change → confirm from the new address → log in with it', async () => {
    const person = await createE2eAccount('user', 'mover')
    const { session } = await logIn(person.email, person.password)
    const newEmail = unique('moved')
    const asked = await call('/api/auth/email', {
      body: { newEmail, currentPassword: person.password },
      token: session?.accessToken,
    })
    expect(asked.status).toBe(202)
    const { link, token } = await mailTo(newEmail)
    expect(link.pathname).toBe('/verify-email')
    const confirmed = await call('/api/auth/email/confirm', { body: { token } })
    expect(confirmed.status).toBe(200)
    expect((await newestMailTo(person.email))?.kind).toBe('email-changed')
    expect((await logIn(newEmail, person.password)).status).toBe(200)
    expect((await logIn(person.email, person.password)).status).toBe(401)
  })

  it('locked out by failed log-ins → an admin unlocks the account → log in', async () => {
    const person = await createE2eAccount('user', 'locked')
    const admin = await createE2eAccount('admin', 'unlocker')
    const { session } = await logIn(admin.email, admin.password)
    // Every test of the run logs in from this machine's address: its client bucket holds their failures too. The
    // lock-out walked here is the account's own (its email's bucket), so the shared one starts empty.
    const clientBuckets = await Promise.all(
      ['127.0.0.1', '::1', '::ffff:127.0.0.1'].map((address) =>
        clientBucket(new Headers({ 'x-forwarded-for': address })),
      ),
    )
    await db.delete(loginAttempts).where(
      inArray(
        loginAttempts.bucket,
        clientBuckets.filter((b) => b !== undefined),
      ),
    )
    let status = 0
    for (let attempt = 0; attempt < 10 && status !== 429; attempt++) {
      status = (await logIn(person.email, `wrong ${attempt}`)).status
    }
    expect(status).toBe(429)
    expect((await logIn(person.email, person.password)).status).toBe(429)
    const id = (await db.execute<{ id: number }>(`select id from users where email = '${person.email}'`))
      .rows[0]?.id
    const unlocked = await call(`/api/users/${id}/login-throttle`, {
      method: 'DELETE',
      token: session?.accessToken,
    })
    expect(unlocked.status).toBe(204)
    expect((await logIn(person.email, person.password)).status).toBe(200)
  })
})
