/** Conditional requests on /api/users/:id: ETags from the row's version, If-None-Match (304) and If-Match (412). */
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../../edge/openapi-document'
import {
  asNewAdmin,
  createTestApp,
  createUserViaApi,
  jsonInit,
  type ProblemBody,
  testDatabase,
  type UserBody,
  uniqueEmail,
} from './support'

const { app: server } = createTestApp()
const app = asNewAdmin(server)

/** Creates a user and returns it with the ETag of the 201. */
async function createVersionedUser(label: string): Promise<{ user: UserBody; etag: string }> {
  const response = await app.request(
    '/api/users',
    jsonInit('POST', { name: label, email: uniqueEmail(label) }),
  )
  expect(response.status).toBe(201)
  const etag = response.headers.get('etag')
  if (!etag) throw new Error('POST /api/users answered without an ETag')
  return { user: (await response.json()) as UserBody, etag }
}

const patch = (id: number, body: unknown, headers: Record<string, string> = {}) =>
  app.request(`/api/users/${id}`, jsonInit('PATCH', body, headers))

async function expectPreconditionFailed(response: Response): Promise<void> {
  expect(response.status).toBe(412)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  expect(((await response.json()) as ProblemBody).type).toBe('/problems/precondition-failed')
}

describe('ETag', () => {
  it('is a strong tag on the 201 of a create, and the same on a later read', async () => {
    const { user, etag } = await createVersionedUser('tagged')
    expect(etag).toMatch(/^"[^"]+"$/)
    const read = await app.request(`/api/users/${user.id}`)
    expect(read.status).toBe(200)
    expect(read.headers.get('etag')).toBe(etag)
    expect(read.headers.get('cache-control')).toBe('private, no-cache')
  })

  it('changes with every write, and the 200 of a PATCH carries the new one', async () => {
    const { user, etag } = await createVersionedUser('changing')
    const renamed = await patch(user.id, { name: 'Renamed once' })
    expect(renamed.status).toBe(200)
    const second = renamed.headers.get('etag')
    expect(second).not.toBeNull()
    expect(second).not.toBe(etag)
    const read = await app.request(`/api/users/${user.id}`)
    expect(read.headers.get('etag')).toBe(second)
  })

  it('changes even when a write sets the same values, or does not come through the API', async () => {
    const { user, etag } = await createVersionedUser('samevalues')
    const same = await patch(user.id, { name: 'samevalues' })
    expect(same.headers.get('etag')).not.toBe(etag)
    // An operator's fix in SQL, which knows nothing of versions: the table's trigger still bumps it.
    await testDatabase().execute(sql`update users set role = 'admin' where id = ${user.id}`)
    const read = await app.request(`/api/users/${user.id}`)
    expect((await read.json()) as UserBody).toMatchObject({ role: 'admin' })
    expect(read.headers.get('etag')).not.toBe(same.headers.get('etag'))
  })
})

describe('GET /api/users/:id with If-None-Match', () => {
  it('answers 304 without a body when the tag is current, with the ETag', async () => {
    const { user, etag } = await createVersionedUser('fresh')
    const response = await app.request(`/api/users/${user.id}`, { headers: { 'If-None-Match': etag } })
    expect(response.status).toBe(304)
    expect(response.headers.get('etag')).toBe(etag)
    expect(await response.text()).toBe('')
  })

  it('answers 304 to a weak form of the tag, to a list holding it, and to *', async () => {
    const { user, etag } = await createVersionedUser('weakly')
    for (const header of [`W/${etag}`, `"nope", ${etag}`, '*']) {
      const response = await app.request(`/api/users/${user.id}`, { headers: { 'If-None-Match': header } })
      expect(response.status, header).toBe(304)
    }
  })

  it('answers 200 with the body when the tag is stale or not ours', async () => {
    const { user, etag } = await createVersionedUser('stale')
    await patch(user.id, { name: 'Changed' })
    for (const header of [etag, '"not-a-version"', 'garbage']) {
      const response = await app.request(`/api/users/${user.id}`, { headers: { 'If-None-Match': header } })
      expect(response.status, header).toBe(200)
      expect(((await response.json()) as UserBody).name).toBe('Changed')
    }
  })

  it('answers 404 for a missing user whatever the tag', async () => {
    const response = await app.request('/api/users/2147483647', { headers: { 'If-None-Match': '*' } })
    expect(response.status).toBe(404)
  })
})

describe('PATCH /api/users/:id with If-Match', () => {
  it('applies the change when the tag is current', async () => {
    const { user, etag } = await createVersionedUser('current')
    const response = await patch(user.id, { name: 'Matched' }, { 'If-Match': etag })
    expect(response.status).toBe(200)
    expect(((await response.json()) as UserBody).name).toBe('Matched')
  })

  it('answers 412 and changes nothing when the tag is stale', async () => {
    const { user, etag } = await createVersionedUser('lost')
    const first = await patch(user.id, { name: 'First writer' }, { 'If-Match': etag })
    expect(first.status).toBe(200)
    await expectPreconditionFailed(await patch(user.id, { name: 'Second writer' }, { 'If-Match': etag }))
    const read = await app.request(`/api/users/${user.id}`)
    expect(((await read.json()) as UserBody).name).toBe('First writer')
    expect(read.headers.get('etag')).toBe(first.headers.get('etag'))
  })

  it('answers 412 to a weak tag, a tag that is not ours, or a malformed header (strong comparison)', async () => {
    const { user, etag } = await createVersionedUser('strict')
    for (const header of [`W/${etag}`, '"abc"', 'garbage', '""']) {
      await expectPreconditionFailed(await patch(user.id, { name: 'Nope' }, { 'If-Match': header }))
    }
  })

  it('applies the change when any tag of a list is current, or for *', async () => {
    const { user, etag } = await createVersionedUser('listed')
    const listed = await patch(user.id, { name: 'Listed' }, { 'If-Match': `"999999", ${etag}` })
    expect(listed.status).toBe(200)
    const starred = await patch(user.id, { name: 'Starred' }, { 'If-Match': '*' })
    expect(starred.status).toBe(200)
  })

  it('answers 404, not 412, for a missing user whatever the tag', async () => {
    for (const header of ['"1"', '*']) {
      const response = await app.request(
        '/api/users/2147483647',
        jsonInit('PATCH', { name: 'X' }, { 'If-Match': header }),
      )
      expect(response.status, header).toBe(404)
    }
  })

  it('answers 412 rather than 409 when the tag is stale and the email is taken', async () => {
    const taken = await createUserViaApi(app, { name: 'Owner', email: uniqueEmail('owner') })
    const { user, etag } = await createVersionedUser('both')
    await patch(user.id, { name: 'Moved on' })
    await expectPreconditionFailed(await patch(user.id, { email: taken.email }, { 'If-Match': etag }))
  })

  it('lets exactly one of two writers racing from one version win; the other gets 412', async () => {
    const { user, etag } = await createVersionedUser('racing')
    const responses = await Promise.all(
      ['Writer A', 'Writer B'].map((name) => patch(user.id, { name }, { 'If-Match': etag })),
    )
    const statuses = responses.map((response) => response.status).sort()
    expect(statuses).toEqual([200, 412])
    const winner = responses.find((response) => response.status === 200)
    if (!winner) throw new Error('no writer won')
    const read = await app.request(`/api/users/${user.id}`)
    expect(read.headers.get('etag')).toBe(winner.headers.get('etag'))
    expect(((await read.json()) as UserBody).name).toBe(((await winner.json()) as UserBody).name)
  })

  it('lets exactly one of ten writers racing from one version win', async () => {
    const { user, etag } = await createVersionedUser('stampede')
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        patch(user.id, { name: `Writer ${index}` }, { 'If-Match': etag }),
      ),
    )
    const statuses = responses.map((response) => response.status)
    expect(statuses.filter((status) => status === 200)).toHaveLength(1)
    expect(statuses.filter((status) => status === 412)).toHaveLength(9)
  })
})

describe('DELETE /api/users/:id with If-Match', () => {
  it('deletes when the tag is current', async () => {
    const { user, etag } = await createVersionedUser('deleted')
    const response = await app.request(`/api/users/${user.id}`, {
      method: 'DELETE',
      headers: { 'If-Match': etag },
    })
    expect(response.status).toBe(204)
    expect((await app.request(`/api/users/${user.id}`)).status).toBe(404)
  })

  it('answers 412 and keeps the user when the tag is stale', async () => {
    const { user, etag } = await createVersionedUser('kept')
    await patch(user.id, { name: 'Changed since' })
    const response = await app.request(`/api/users/${user.id}`, {
      method: 'DELETE',
      headers: { 'If-Match': etag },
    })
    await expectPreconditionFailed(response)
    expect((await app.request(`/api/users/${user.id}`)).status).toBe(200)
  })

  it('answers 404 when the user is already gone, whatever the tag', async () => {
    const { user, etag } = await createVersionedUser('gone')
    expect((await app.request(`/api/users/${user.id}`, { method: 'DELETE' })).status).toBe(204)
    const again = await app.request(`/api/users/${user.id}`, {
      method: 'DELETE',
      headers: { 'If-Match': etag },
    })
    expect(again.status).toBe(404)
  })
})

describe('the contract of conditional requests', () => {
  interface Operation {
    parameters?: { name: string; in: string }[]
    responses: Record<string, { headers?: Record<string, unknown> }>
  }

  it('is in the OpenAPI document: the request headers, the ETag header, 304 and 412', async () => {
    const document = openApiDocument(server) as unknown as {
      paths: Record<string, Record<string, Operation>>
    }
    const item = document.paths['/api/users/{id}'] ?? {}
    const headerNames = (operation: Operation | undefined) =>
      (operation?.parameters ?? [])
        .filter((parameter) => parameter.in === 'header')
        .map((parameter) => parameter.name)
    expect(headerNames(item.get)).toEqual(['If-None-Match', 'Edgeline-Consistency'])
    expect(headerNames(item.patch)).toEqual(['If-Match'])
    expect(headerNames(item.delete)).toEqual(['If-Match'])
    expect(Object.keys(item.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '304']))
    expect(item.get?.responses['200']?.headers).toHaveProperty('ETag')
    expect(item.patch?.responses['200']?.headers).toHaveProperty('ETag')
    expect(item.patch?.responses).toHaveProperty('412')
    expect(item.delete?.responses).toHaveProperty('412')
    expect(document.paths['/api/users']?.post?.responses['201']?.headers).toHaveProperty('ETag')
  })

  it('lets a browser on an allowed origin send If-Match and If-None-Match and read the ETag', async () => {
    const origin = 'https://app.example.test'
    const { app: withCors } = createTestApp({ config: { corsOrigins: [origin] } })
    const preflight = await withCors.request('/api/users/1', {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'PATCH',
        'Access-Control-Request-Headers': 'content-type, if-match, if-none-match',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/if-match/i)
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/if-none-match/i)
    const answer = await withCors.request('/api/hello', { headers: { Origin: origin } })
    expect(answer.headers.get('access-control-expose-headers')).toMatch(/\bETag\b/)
  })
})
