/** Role rules on every Users route: signed-in users read; users change only themselves; admins change anyone. */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type Account,
  createAccount,
  createTestApp,
  createUserViaApi,
  jsonInit,
  type UserBody,
  uniqueEmail,
} from '../api/support'

const { app } = createTestApp()
let admin: Account
let alice: Account
let bob: Account

beforeAll(async () => {
  ;[admin, alice, bob] = await Promise.all([
    createAccount(app, 'admin'),
    createAccount(app, 'user', 'alice'),
    createAccount(app, 'user', 'bob'),
  ])
})

async function expectForbidden(response: Response) {
  expect(response.status).toBe(403)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  expect(await response.json()).toMatchObject({ type: '/problems/forbidden', status: 403 })
}

describe('signed out', () => {
  it.each([
    ['GET', '/api/users'],
    ['POST', '/api/users'],
    ['GET', '/api/users/1'],
    ['PATCH', '/api/users/1'],
    ['DELETE', '/api/users/1'],
  ])('%s %s answers 401', async (method, path) => {
    const response = await app.request(
      path,
      jsonInit(method, method === 'GET' || method === 'DELETE' ? undefined : {}),
    )
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="edgeline"')
  })
})

describe('a signed-in user', () => {
  it('may list users and read any one of them', async () => {
    expect((await alice.client.request('/api/users?limit=1')).status).toBe(200)
    const response = await alice.client.request(`/api/users/${bob.user.id}`)
    expect(response.status).toBe(200)
    expect(((await response.json()) as UserBody).email).toBe(bob.user.email)
  })

  it('may not create users', async () => {
    await expectForbidden(
      await alice.client.request(
        '/api/users',
        jsonInit('POST', { name: 'Nope', email: uniqueEmail('nope') }),
      ),
    )
  })

  it('may update their own name', async () => {
    const response = await alice.client.request(
      `/api/users/${alice.user.id}`,
      jsonInit('PATCH', { name: 'Alice' }),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ id: alice.user.id, name: 'Alice', role: 'user' })
  })

  it('may not change their own email with PATCH, even its case: that takes the password and a confirmed link', async () => {
    const carol = await createAccount(app, 'user', 'carol')
    for (const email of [uniqueEmail('carol-new'), carol.user.email.toUpperCase()]) {
      const response = await carol.client.request(`/api/users/${carol.user.id}`, jsonInit('PATCH', { email }))
      await expectForbidden(response)
    }
    const unchanged = await carol.client.request(`/api/users/${carol.user.id}`)
    expect(((await unchanged.json()) as UserBody).email).toBe(carol.user.email)
  })

  it("may not update someone else's account, even one that does not exist", async () => {
    await expectForbidden(
      await alice.client.request(`/api/users/${bob.user.id}`, jsonInit('PATCH', { name: 'Hacked' })),
    )
    await expectForbidden(
      await alice.client.request('/api/users/2147483647', jsonInit('PATCH', { name: 'X' })),
    )
    const unchanged = (await (await admin.client.request(`/api/users/${bob.user.id}`)).json()) as UserBody
    expect(unchanged.name).toBe(bob.user.name)
  })

  it('may not change a role, not even their own', async () => {
    await expectForbidden(
      await alice.client.request(`/api/users/${alice.user.id}`, jsonInit('PATCH', { role: 'admin' })),
    )
    await expectForbidden(
      await alice.client.request(
        `/api/users/${alice.user.id}`,
        jsonInit('PATCH', { name: 'Sneaky', role: 'admin' }),
      ),
    )
    expect(
      ((await (await alice.client.request(`/api/users/${alice.user.id}`)).json()) as UserBody).role,
    ).toBe('user')
  })

  it("may not delete someone else's account", async () => {
    await expectForbidden(await alice.client.request(`/api/users/${bob.user.id}`, { method: 'DELETE' }))
    expect((await admin.client.request(`/api/users/${bob.user.id}`)).status).toBe(200)
  })

  it('may delete their own account', async () => {
    const leaving = await createAccount(app, 'user', 'leaving')
    expect((await leaving.client.request(`/api/users/${leaving.user.id}`, { method: 'DELETE' })).status).toBe(
      204,
    )
    expect((await admin.client.request(`/api/users/${leaving.user.id}`)).status).toBe(404)
  })
})

describe('an admin', () => {
  it('may create users, with a role', async () => {
    const user = await createUserViaApi(admin.client, { name: 'Made', email: uniqueEmail('made') })
    expect(user.role).toBe('user')
    const response = await admin.client.request(
      '/api/users',
      jsonInit('POST', { name: 'Second Admin', email: uniqueEmail('admin2'), role: 'admin' }),
    )
    expect(response.status).toBe(201)
    expect(((await response.json()) as UserBody).role).toBe('admin')
  })

  it("may update anyone's account and role", async () => {
    const target = await createAccount(app, 'user', 'target')
    const response = await admin.client.request(
      `/api/users/${target.user.id}`,
      jsonInit('PATCH', { name: 'Promoted', role: 'admin' }),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ name: 'Promoted', role: 'admin' })
  })

  it('may delete anyone, and gets 404 for an account that does not exist', async () => {
    const target = await createAccount(app, 'user', 'doomed')
    expect((await admin.client.request(`/api/users/${target.user.id}`, { method: 'DELETE' })).status).toBe(
      204,
    )
    expect((await admin.client.request(`/api/users/${target.user.id}`, { method: 'DELETE' })).status).toBe(
      404,
    )
  })

  it('answers 422 for a role that does not exist', async () => {
    const response = await admin.client.request(
      `/api/users/${alice.user.id}`,
      jsonInit('PATCH', { role: 'root' }),
    )
    expect(response.status).toBe(422)
  })
})
