/** `hc<AppType>` from hono/client gives API consumers a client typed from the server's own routes. */
import { hc } from 'hono/client'
import { describe, expect, it } from 'vitest'
import type { AppType } from '../../edge/app-type'
import { createAccount, createTestApp, uniqueEmail } from './support'

const { app } = createTestApp()

/** The typed client, talking to the app in-process instead of over the network. */
function typedClient(token?: string) {
  return hc<AppType>('http://edgeline.test', {
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      app.request(input instanceof Request ? input : String(input), init),
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  })
}

describe('the typed client', () => {
  it('calls public routes with typed answers', async () => {
    const response = await typedClient().api.hello.$get()
    const body = await response.json()
    expect(body.message).toBe('Hello from Next.js Backend!')
  })

  it('creates, reads and lists users with typed inputs and outputs', async () => {
    const admin = await createAccount(app, 'admin')
    const client = typedClient(admin.accessToken)
    const email = uniqueEmail('typed')

    const created = await client.api.users.$post({ json: { name: 'Typed Client', email } })
    expect(created.status).toBe(201)
    if (created.status !== 201) return
    const user = await created.json()
    expect(user.email).toBe(email)
    // @ts-expect-error the answer is the public view of a user: no password hash in its type (nor in its JSON)
    expect(user.passwordHash).toBeUndefined()

    const read = await client.api.users[':id'].$get({ param: { id: String(user.id) } })
    expect(read.status).toBe(200)
    if (read.status === 200) expect((await read.json()).name).toBe('Typed Client')

    const page = await client.api.users.$get({ query: { q: email } })
    if (page.status === 200) expect((await page.json()).data.map((found) => found.id)).toEqual([user.id])
    else expect.fail(`list answered ${page.status}`)

    // Compile-time proof that the types come from the server's schemas: a field the API does not accept.
    // @ts-expect-error `nickname` is not part of the create-user body
    await client.api.users.$post({ json: { name: 'x', email: uniqueEmail('typed'), nickname: 'nope' } })
  })
})
