import { describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../../edge/app'
import { REFUSED_CHARACTER_MESSAGE } from '../../edge/schemas/text'
import { UNKNOWN_FIELD_DETAIL } from '../../edge/validation'
import {
  asNewAdmin,
  createTestApp,
  createUserViaApi,
  jsonInit,
  type ProblemBody,
  type UserBody,
  uniqueEmail,
} from './support'

// Every Users route needs a session now; these tests are about the resource, so they act as an admin.
// The role rules themselves are specified in test/auth/users-roles.test.ts.
const { app: server } = createTestApp()
const app = asNewAdmin(server)

describe('POST /api/users', () => {
  it('creates a user and answers 201 with Location and the user', async () => {
    const email = uniqueEmail('create')
    const response = await app.request('/api/users', jsonInit('POST', { name: 'Ann Example', email }))
    expect(response.status).toBe(201)
    const user = (await response.json()) as UserBody
    expect(user).toMatchObject({ id: expect.any(Number), name: 'Ann Example', email })
    expect(response.headers.get('location')).toBe(`/api/users/${user.id}`)
    expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt)
    expect(user.updatedAt).toBe(user.createdAt)
  })

  it('trims the name and email but keeps the email as typed', async () => {
    const email = uniqueEmail('Trim')
    const user = await createUserViaApi(app, { name: '  Spacey  ', email: `  ${email.toUpperCase()}  ` })
    expect(user.name).toBe('Spacey')
    expect(user.email).toBe(email.toUpperCase())
  })

  it('answers 409 when the email is taken, whatever its case', async () => {
    const email = uniqueEmail('dup')
    await createUserViaApi(app, { name: 'First', email })
    for (const variant of [email, email.toUpperCase(), ` ${email} `]) {
      const response = await app.request('/api/users', jsonInit('POST', { name: 'Second', email: variant }))
      expect(response.status).toBe(409)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect(await response.json()).toMatchObject({ type: '/problems/email-taken', status: 409 })
    }
  })

  it('answers 422 with one error per invalid field', async () => {
    const response = await app.request('/api/users', jsonInit('POST', { name: '   ', email: 'not-an-email' }))
    expect(response.status).toBe(422)
    const problem = (await response.json()) as ProblemBody
    expect(problem).toMatchObject({
      type: '/problems/validation-failed',
      title: 'Validation Failed',
      status: 422,
    })
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'name', in: 'body', pointer: '#/name' }),
        expect.objectContaining({ field: 'email', in: 'body', pointer: '#/email' }),
      ]),
    )
  })

  it('answers 422 naming each unknown field, so a typo is caught, and creates nothing (decision 0020)', async () => {
    const email = uniqueEmail('typo')
    const response = await app.request(
      '/api/users',
      jsonInit('POST', { name: 'Typo', email, rol: 'admin', 'a/b~c': 1 }),
    )
    expect(response.status).toBe(422)
    const problem = (await response.json()) as ProblemBody
    expect(problem.type).toBe('/problems/validation-failed')
    expect(problem.errors).toEqual([
      { field: 'rol', in: 'body', detail: UNKNOWN_FIELD_DETAIL, pointer: '#/rol' },
      { field: 'a/b~c', in: 'body', detail: UNKNOWN_FIELD_DETAIL, pointer: '#/a~1b~0c' },
    ])
    const found = await app.request(`/api/users?q=${encodeURIComponent(email)}`)
    expect(((await found.json()) as { data: unknown[] }).data).toEqual([])
  })

  it('answers 422 naming the missing fields when the body is an empty object', async () => {
    const response = await app.request('/api/users', jsonInit('POST', {}))
    expect(response.status).toBe(422)
    const fields = ((await response.json()) as ProblemBody).errors?.map((error) => error.field)
    expect(fields).toEqual(expect.arrayContaining(['name', 'email']))
  })

  it.each([
    ['a NUL', 'a\u0000b'],
    ['an escape sequence', 'Jane \u001b[31mred'],
    ['a line break inside', 'Jane\r\nSmith'],
    ['a C1 control', 'Jane\u0085'],
    ['a right-to-left override', 'Jane \u202enimda'],
    ['a direction isolate', 'Jane \u2067x\u2069'],
  ])('answers 422 to a name with %s, on create and on rename', async (_, name) => {
    const created = await app.request('/api/users', jsonInit('POST', { name, email: uniqueEmail('ctl') }))
    expect(created.status).toBe(422)
    expect(((await created.json()) as ProblemBody).errors).toEqual([
      expect.objectContaining({
        field: 'name',
        detail: REFUSED_CHARACTER_MESSAGE,
      }),
    ])
    const user = await createUserViaApi(app, { name: 'Plain', email: uniqueEmail('ctl') })
    const renamed = await app.request(`/api/users/${user.id}`, jsonInit('PATCH', { name }))
    expect(renamed.status).toBe(422)
  })

  it('keeps names in any script, with accents, emoji and joiners', async () => {
    for (const name of ['Zoë Ó Briain', 'محمد', '李小龍', 'नमस्ते', '👩‍💻 Dev']) {
      const response = await app.request('/api/users', jsonInit('POST', { name, email: uniqueEmail('intl') }))
      expect(response.status, name).toBe(201)
      const created = (await response.json()) as { id: number; name: string }
      expect(created.name, name).toBe(name)
      // Stored as sent, not only echoed: read back from the database.
      const read = await app.request(`/api/users/${created.id}`)
      expect(((await read.json()) as { name: string }).name, name).toBe(name)
    }
  })

  it('answers 201 to a name of exactly 200 characters and 422 naming the name at 201', async () => {
    const longest = 'n'.repeat(200)
    const created = await app.request(
      '/api/users',
      jsonInit('POST', { name: longest, email: uniqueEmail('n200') }),
    )
    expect(created.status).toBe(201)
    expect(((await created.json()) as UserBody).name).toBe(longest)
    const tooLong = await app.request(
      '/api/users',
      jsonInit('POST', { name: `${longest}n`, email: uniqueEmail('n201') }),
    )
    expect(tooLong.status).toBe(422)
    expect(((await tooLong.json()) as ProblemBody).errors?.map((error) => error.field)).toEqual(['name'])
  })

  it('answers with a User of exactly { id, name, email, role, createdAt, updatedAt }, created, read and listed', async () => {
    const fields = ['createdAt', 'email', 'id', 'name', 'role', 'updatedAt']
    const email = uniqueEmail('fields')
    const created = await app.request('/api/users', jsonInit('POST', { name: 'Fields', email }))
    const user = (await created.json()) as UserBody
    expect(Object.keys(user).sort()).toEqual(fields)
    const read = await app.request(`/api/users/${user.id}`)
    expect(Object.keys((await read.json()) as object).sort()).toEqual(fields)
    const listed = await app.request(`/api/users?q=${encodeURIComponent(email)}`)
    const { data } = (await listed.json()) as { data: object[] }
    expect(data).toHaveLength(1)
    expect(Object.keys(data[0] ?? {}).sort()).toEqual(fields)
  })

  it('answers 422 when the body is JSON but not an object', async () => {
    for (const body of ['[]', '"text"', 'null', '42']) {
      const response = await app.request('/api/users', jsonInit('POST', body))
      expect(response.status, body).toBe(422)
    }
  })

  it('answers 400 to malformed JSON', async () => {
    const response = await app.request('/api/users', jsonInit('POST', '{"name": "Broken",'))
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(await response.json()).toMatchObject({ type: '/problems/malformed-json', status: 400 })
  })

  it('answers 415 to a body that is not JSON', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await app.request('/api/users', {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body: 'name=Ann&email=ann@example.test',
      })
      expect(response.status, contentType).toBe(415)
      expect(await response.json()).toMatchObject({ type: '/problems/unsupported-media-type', status: 415 })
    }
  })

  it('answers 415 to a body sent without a content type', async () => {
    // Bytes (unlike a string) get no default Content-Type from fetch.
    const body = new TextEncoder().encode('{"name":"A","email":"a@b.test"}')
    const response = await app.request('/api/users', { method: 'POST', body })
    expect(response.status).toBe(415)
  })

  it('accepts JSON with a charset parameter', async () => {
    const response = await app.request(
      '/api/users',
      jsonInit(
        'POST',
        { name: 'Charset', email: uniqueEmail('charset') },
        { 'Content-Type': 'application/json; charset=utf-8' },
      ),
    )
    expect(response.status).toBe(201)
  })

  it('answers 413 to a body over 1 MiB, before reading it as JSON', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES)
    const response = await app.request(
      '/api/users',
      jsonInit('POST', { name: padding, email: uniqueEmail('big') }),
    )
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ type: '/problems/payload-too-large', status: 413 })
  })

  it('answers 413 when the declared Content-Length is over 1 MiB', async () => {
    const response = await app.request('/api/users', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(MAX_BODY_BYTES + 1) },
      body: '{}',
    })
    expect(response.status).toBe(413)
  })
})

describe('GET /api/users/:id', () => {
  it('answers 200 with the user', async () => {
    const created = await createUserViaApi(app, { name: 'Getter', email: uniqueEmail('get') })
    const response = await app.request(`/api/users/${created.id}`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(created)
  })

  it('answers 404 for an id that does not exist', async () => {
    const response = await app.request('/api/users/2147483647')
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ type: '/problems/not-found', status: 404 })
  })

  it.each(['abc', '0', '-1', '1.5', '1e3', '01', '0x10', '2147483648', '99999999999999999999', '%20'])(
    'answers 400 for the malformed id %j',
    async (id) => {
      const response = await app.request(`/api/users/${id}`)
      expect(response.status).toBe(400)
      const problem = (await response.json()) as ProblemBody
      expect(problem).toMatchObject({ type: '/problems/invalid-parameters', status: 400 })
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'id', in: 'path' })])
    },
  )
})

describe('PATCH /api/users/:id', () => {
  it('updates only the fields given and moves updatedAt', async () => {
    const created = await createUserViaApi(app, { name: 'Before', email: uniqueEmail('patch') })
    const response = await app.request(`/api/users/${created.id}`, jsonInit('PATCH', { name: 'After' }))
    expect(response.status).toBe(200)
    const updated = (await response.json()) as UserBody
    expect(updated).toMatchObject({
      id: created.id,
      name: 'After',
      email: created.email,
      createdAt: created.createdAt,
    })
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt))
  })

  it('changes the email, trimmed', async () => {
    const created = await createUserViaApi(app, { name: 'Mover', email: uniqueEmail('move') })
    const email = uniqueEmail('moved')
    const response = await app.request(`/api/users/${created.id}`, jsonInit('PATCH', { email: ` ${email} ` }))
    expect(response.status).toBe(200)
    expect(((await response.json()) as UserBody).email).toBe(email)
  })

  it('lets a user change the case of their own email', async () => {
    const created = await createUserViaApi(app, { name: 'Caser', email: uniqueEmail('case') })
    const response = await app.request(
      `/api/users/${created.id}`,
      jsonInit('PATCH', { email: created.email.toUpperCase() }),
    )
    expect(response.status).toBe(200)
    expect(((await response.json()) as UserBody).email).toBe(created.email.toUpperCase())
  })

  it("answers 409 when the new email is someone else's, whatever its case", async () => {
    const owner = await createUserViaApi(app, { name: 'Owner', email: uniqueEmail('owner') })
    const other = await createUserViaApi(app, { name: 'Other', email: uniqueEmail('other') })
    const response = await app.request(
      `/api/users/${other.id}`,
      jsonInit('PATCH', { email: owner.email.toUpperCase() }),
    )
    expect(response.status).toBe(409)
    expect(await response.json()).toMatchObject({ type: '/problems/email-taken' })
  })

  it('answers 404 for a user that does not exist, even when the email is taken', async () => {
    const owner = await createUserViaApi(app, { name: 'Owner', email: uniqueEmail('owner404') })
    const response = await app.request('/api/users/2147483647', jsonInit('PATCH', { email: owner.email }))
    expect(response.status).toBe(404)
  })

  it('answers 422 when no field is given or a field is invalid', async () => {
    const created = await createUserViaApi(app, { name: 'Valid', email: uniqueEmail('valid') })
    const empty = await app.request(`/api/users/${created.id}`, jsonInit('PATCH', {}))
    expect(empty.status).toBe(422)
    const invalid = await app.request(`/api/users/${created.id}`, jsonInit('PATCH', { email: 'nope' }))
    expect(invalid.status).toBe(422)
    expect(((await invalid.json()) as ProblemBody).errors).toEqual([
      expect.objectContaining({ field: 'email' }),
    ])
  })

  it('answers 422 naming an unknown field, beside the errors of the known ones, and changes nothing', async () => {
    const created = await createUserViaApi(app, { name: 'Kept', email: uniqueEmail('kept') })
    const response = await app.request(
      `/api/users/${created.id}`,
      jsonInit('PATCH', { nmae: 'Misspelt', email: 'nope' }),
    )
    expect(response.status).toBe(422)
    const errors = ((await response.json()) as ProblemBody).errors
    expect(errors).toEqual(
      expect.arrayContaining([
        { field: 'nmae', in: 'body', detail: UNKNOWN_FIELD_DETAIL, pointer: '#/nmae' },
        expect.objectContaining({ field: 'email' }),
      ]),
    )
    const read = (await (await app.request(`/api/users/${created.id}`)).json()) as UserBody
    expect(read).toEqual(created)
  })

  it('answers 400 for a malformed id and for malformed JSON, and 415 for a non-JSON body', async () => {
    expect((await app.request('/api/users/abc', jsonInit('PATCH', { name: 'X' }))).status).toBe(400)
    expect((await app.request('/api/users/1', jsonInit('PATCH', '{'))).status).toBe(400)
    const form = { method: 'PATCH', headers: { 'Content-Type': 'text/plain' }, body: 'name=X' }
    expect((await app.request('/api/users/1', form)).status).toBe(415)
  })
})

describe('DELETE /api/users/:id', () => {
  it('answers 204 with no body, after which the user is gone', async () => {
    const created = await createUserViaApi(app, { name: 'Doomed', email: uniqueEmail('delete') })
    const response = await app.request(`/api/users/${created.id}`, { method: 'DELETE' })
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
    expect((await app.request(`/api/users/${created.id}`)).status).toBe(404)
    expect((await app.request(`/api/users/${created.id}`, { method: 'DELETE' })).status).toBe(404)
  })

  it('frees the email for a new user', async () => {
    const email = uniqueEmail('reuse')
    const created = await createUserViaApi(app, { name: 'First', email })
    await app.request(`/api/users/${created.id}`, { method: 'DELETE' })
    const again = await createUserViaApi(app, { name: 'Second', email })
    expect(again.id).not.toBe(created.id)
  })

  it('answers 400 for a malformed id', async () => {
    expect((await app.request('/api/users/-5', { method: 'DELETE' })).status).toBe(400)
  })
})
