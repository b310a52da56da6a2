/** The `/users` page's no-JavaScript forms: the Users API in-process, its role rules, a 303 back to the list. */
import { describe, expect, it } from 'vitest'
import { submitUsersForm } from '../../edge/pages/users-form-posts'
import { formPost, formSiteOf, landing, SITE } from './form-support'
import { type Account, createAccount, createTestApp, type UserBody, uniqueEmail } from './support'

const { app } = createTestApp()
const site = formSiteOf(app)

/** A form post from the `/users` page, as a browser signed in as `account` (or signed out) sends it. */
function usersForm(fields: Record<string, string>, account?: Account, origin: string | null = SITE) {
  return submitUsersForm(site, formPost('/users/submit', fields, account, origin))
}

async function findUser(admin: Account, email: string): Promise<UserBody | undefined> {
  const page = await admin.client.request(`/api/users?q=${encodeURIComponent(email)}`)
  return ((await page.json()) as { data: UserBody[] }).data[0]
}

describe('the /users form posts', () => {
  it('lets an admin create a user and goes back to the same search with a notice', async () => {
    const admin = await createAccount(app, 'admin')
    const email = uniqueEmail('page-create')
    const back = landing(
      await usersForm(
        { intent: 'create', name: 'Page Made', email, role: 'admin', back: '/users?q=page' },
        admin,
      ),
    )
    expect(back.pathname).toBe('/users')
    expect(back.searchParams.get('q')).toBe('page')
    expect(back.searchParams.get('notice')).toMatch(/^Created Page Made \(#\d+\)\.$/)
    expect(await findUser(admin, email)).toMatchObject({ name: 'Page Made', role: 'admin' })
  })

  it('brings the field errors of a refused create back to the form, with what was typed', async () => {
    const admin = await createAccount(app, 'admin')
    const back = landing(
      await usersForm({ intent: 'create', name: 'Kept Name', email: 'not-an-email' }, admin),
    )
    // In a person's words at the top; the API's own words ("see errors") are for programs.
    expect(back.searchParams.get('error')).toBe(
      'Some of what you entered needs fixing: see the note beside each field.',
    )
    expect(back.searchParams.get('field.email')).toBe('must be a valid email address')
    expect(back.searchParams.get('name')).toBe('Kept Name')
    expect(back.searchParams.get('email')).toBe('not-an-email')
  })

  it('renames and deletes as an admin', async () => {
    const admin = await createAccount(app, 'admin')
    const target = await createAccount(app, 'user', 'target')
    const renamed = landing(
      await usersForm(
        { intent: 'rename', id: String(target.user.id), name: 'New Name', back: '/users' },
        admin,
      ),
    )
    expect(renamed.searchParams.get('notice')).toBe(`Renamed #${target.user.id} to New Name.`)
    expect(await findUser(admin, target.user.email)).toMatchObject({ name: 'New Name' })

    const deleted = landing(await usersForm({ intent: 'delete', id: String(target.user.id) }, admin))
    expect(deleted.searchParams.get('notice')).toBe(`Deleted user #${target.user.id}.`)
    expect(await findUser(admin, target.user.email)).toBeUndefined()
  })

  it('lets a user rename themselves, and refuses their post to delete or rename someone else', async () => {
    const admin = await createAccount(app, 'admin')
    const user = await createAccount(app, 'user', 'plain')
    const other = await createAccount(app, 'user', 'other')
    const self = landing(
      await usersForm({ intent: 'rename', id: String(user.user.id), name: 'Me Myself' }, user),
    )
    expect(self.searchParams.get('notice')).toBe(`Renamed #${user.user.id} to Me Myself.`)

    const rename = landing(
      await usersForm({ intent: 'rename', id: String(other.user.id), name: 'Hijacked' }, user),
    )
    expect(rename.searchParams.get('error')).toMatch(/only your own account/)
    const remove = landing(await usersForm({ intent: 'delete', id: String(other.user.id) }, user))
    expect(remove.searchParams.get('error')).toMatch(/only your own account/)
    const create = landing(
      await usersForm({ intent: 'create', name: 'Sneaky', email: uniqueEmail('sneak') }, user),
    )
    expect(create.searchParams.get('error')).toMatch(/Only an admin/)
    expect(await findUser(admin, other.user.email)).toMatchObject({ name: other.user.name })
  })

  it('joins the field errors of a refused rename into the message at the top', async () => {
    const user = await createAccount(app)
    const back = landing(await usersForm({ intent: 'rename', id: String(user.user.id), name: '   ' }, user))
    expect(back.searchParams.get('error')).toBe('That did not work: the name must not be empty.')
  })

  it.each(['../auth/logout', '1/../../hello', '0', '', '99999999999'])(
    'never puts id=%j into a path, and says so',
    async (id) => {
      const admin = await createAccount(app, 'admin')
      const back = landing(await usersForm({ intent: 'delete', id }, admin))
      expect(back.searchParams.get('error')).toBe('That user id is not valid.')
    },
  )

  it('refuses an unknown intent', async () => {
    const admin = await createAccount(app, 'admin')
    expect(landing(await usersForm({ intent: 'promote', id: '1' }, admin)).searchParams.get('error')).toBe(
      'Unknown action.',
    )
  })

  it('sends a signed-out browser to the log-in page, to come back to the list it was on', async () => {
    const back = landing(await usersForm({ intent: 'delete', id: '1', back: '/users?q=x' }))
    expect(`${back.pathname}${back.search}`).toBe('/login?next=%2Fusers%3Fq%3Dx')
  })

  it('only goes back to the users list, whatever back says', async () => {
    const admin = await createAccount(app, 'admin')
    for (const back of ['//evil.example/users', 'https://evil.example/', '/account', '/usersx']) {
      const landed = landing(
        await usersForm({ intent: 'rename', id: String(admin.user.id), name: 'A', back }, admin),
      )
      expect(landed.origin).toBe(SITE)
      expect(landed.pathname).toBe('/users')
    }
  })

  it('refuses a body larger than any form sends with 413, whether or not it declares its length', async () => {
    const admin = await createAccount(app, 'admin')
    const body = `intent=create&name=${'x'.repeat(70 * 1024)}&email=big%40example.test`
    const headers = {
      origin: SITE,
      cookie: `__Host-edgeline_session=${admin.accessToken}`,
      'content-type': 'application/x-www-form-urlencoded',
    }
    const declared = new Request(`${SITE}/users/submit`, {
      method: 'POST',
      body,
      headers: { ...headers, 'content-length': String(body.length) },
    })
    const streamed = new Request(`${SITE}/users/submit`, {
      method: 'POST',
      body: new Blob([body]).stream(),
      headers,
      duplex: 'half',
    } as RequestInit)
    for (const response of [await submitUsersForm(site, declared), await submitUsersForm(site, streamed)]) {
      expect(response.status).toBe(413)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect(await response.json()).toMatchObject({ type: '/problems/payload-too-large', status: 413 })
    }
    expect(await findUser(admin, 'big@example.test')).toBeUndefined()
  })

  it('refuses a post from another site, or without an Origin (CSRF)', async () => {
    const admin = await createAccount(app, 'admin')
    const target = await createAccount(app, 'user', 'csrf')
    for (const origin of ['https://evil.example', null]) {
      const response = await usersForm({ intent: 'delete', id: String(target.user.id) }, admin, origin)
      expect(response.status).toBe(403)
      // As the API answers a cross-site form post: a problem, never a page or plain text.
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect(await response.json()).toMatchObject({
        type: '/problems/forbidden',
        detail: 'Cross-site form posts are refused.',
      })
    }
    expect(await findUser(admin, target.user.email)).toBeDefined()
  })
})

describe('the words of the /users form posts', () => {
  it('says what a person can do about a problem the API words for programs', async () => {
    const admin = await createAccount(app, 'admin')
    const email = uniqueEmail('taken')
    await usersForm({ intent: 'create', name: 'First', email }, admin)
    const back = landing(await usersForm({ intent: 'create', name: 'Second', email }, admin))
    expect(back.searchParams.get('error')).toBe('Another account already uses this email address.')
  })
})
