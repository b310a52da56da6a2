import { beforeAll, describe, expect, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { insertUsersSkippingExisting } from '../../db/queries/users'
import {
  asNewAdmin,
  createTestApp,
  createUserViaApi,
  type ProblemBody,
  testConfig,
  type UserBody,
  uniqueTag,
} from './support'

interface PageBody {
  data: UserBody[]
  nextCursor: string | null
  prevCursor: string | null
}

// Every Users route needs a session now; these tests are about the resource, so they act as an admin.
// The role rules themselves are specified in test/auth/users-roles.test.ts.
const { app: server } = createTestApp()
const app = asNewAdmin(server)

async function getPage(query: string): Promise<PageBody> {
  const response = await app.request(`/api/users?${query}`)
  expect(response.status, await response.clone().text()).toBe(200)
  return (await response.json()) as PageBody
}

/** Creates `count` users whose names contain `tag`, in one statement, and returns their ids in creation order. */
async function createTaggedUsers(tag: string, count: number): Promise<number[]> {
  const config = testConfig()
  const db = createDatabase({
    databaseUrl: config.databaseUrl,
    sqlGatewayEndpoint: config.sqlGatewayEndpoint,
  })
  const rows = Array.from({ length: count }, (_, index) => ({
    name: `${tag} number ${index}`,
    email: `${tag}-${index}@example.test`,
  }))
  expect(await insertUsersSkippingExisting(db, rows)).toBe(count)
  const page = await getPage(`q=${tag}&limit=100`)
  return page.data.map((user) => user.id)
}

describe('GET /api/users pagination', () => {
  const tag = uniqueTag('page')
  let ids: number[] = []

  beforeAll(async () => {
    ids = await createTaggedUsers(tag, 5)
  })

  it('lists users in ascending id order', () => {
    expect(ids).toHaveLength(5)
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)
  })

  it('walks every page with the opaque cursor, without gaps or repeats', async () => {
    const first = await getPage(`q=${tag}&limit=2`)
    expect(first.data.map((user) => user.id)).toEqual(ids.slice(0, 2))
    expect(first.nextCursor).toEqual(expect.any(String))
    expect(first.nextCursor).not.toContain(String(ids[1]))

    const second = await getPage(`q=${tag}&limit=2&cursor=${first.nextCursor}`)
    expect(second.data.map((user) => user.id)).toEqual(ids.slice(2, 4))

    const last = await getPage(`q=${tag}&limit=2&cursor=${second.nextCursor}`)
    expect(last.data.map((user) => user.id)).toEqual(ids.slice(4))
    expect(last.nextCursor).toBeNull()
  })

  it('steps back one page at a time with prevCursor, the keyset in reverse, to a first page with none', async () => {
    const first = await getPage(`q=${tag}&limit=2`)
    expect(first.prevCursor).toBeNull()
    const second = await getPage(`q=${tag}&limit=2&cursor=${first.nextCursor}`)
    const last = await getPage(`q=${tag}&limit=2&cursor=${second.nextCursor}`)
    expect(last.prevCursor).toEqual(expect.any(String))

    const backToSecond = await getPage(`q=${tag}&limit=2&cursor=${last.prevCursor}`)
    expect(backToSecond.data.map((user) => user.id)).toEqual(ids.slice(2, 4))
    expect(backToSecond.nextCursor).toEqual(expect.any(String))
    const backToFirst = await getPage(`q=${tag}&limit=2&cursor=${backToSecond.prevCursor}`)
    expect(backToFirst.data.map((user) => user.id)).toEqual(ids.slice(0, 2))
    expect(backToFirst.prevCursor).toBeNull()
    // And forward again from a page reached backwards.
    const forwardAgain = await getPage(`q=${tag}&limit=2&cursor=${backToFirst.nextCursor}`)
    expect(forwardAgain.data.map((user) => user.id)).toEqual(ids.slice(2, 4))
  })

  it('steps back a full page, even from a short last page', async () => {
    const first = await getPage(`q=${tag}&limit=3`)
    const last = await getPage(`q=${tag}&limit=3&cursor=${first.nextCursor}`)
    expect(last.data.map((user) => user.id)).toEqual(ids.slice(3))
    const back = await getPage(`q=${tag}&limit=3&cursor=${last.prevCursor}`)
    expect(back.data.map((user) => user.id)).toEqual(ids.slice(0, 3))
    expect(back.prevCursor).toBeNull()
  })

  it('gives a null cursor when the last page is exactly full', async () => {
    const first = await getPage(`q=${tag}&limit=4`)
    const second = await getPage(`q=${tag}&limit=1&cursor=${first.nextCursor}`)
    expect(second.data.map((user) => user.id)).toEqual(ids.slice(4))
    expect(second.nextCursor).toBeNull()

    const all = await getPage(`q=${tag}&limit=5`)
    expect(all.data).toHaveLength(5)
    expect(all.nextCursor).toBeNull()
  })

  it('keeps its place when a user on an earlier page is deleted', async () => {
    const localTag = uniqueTag('stable')
    const localIds = await createTaggedUsers(localTag, 4)
    const first = await getPage(`q=${localTag}&limit=2`)
    expect((await app.request(`/api/users/${localIds[0]}`, { method: 'DELETE' })).status).toBe(204)
    const second = await getPage(`q=${localTag}&limit=2&cursor=${first.nextCursor}`)
    expect(second.data.map((user) => user.id)).toEqual(localIds.slice(2, 4))
  })

  it('answers an empty page with a null cursor when nothing matches', async () => {
    expect(await getPage(`q=${uniqueTag('none')}`)).toEqual({ data: [], nextCursor: null, prevCursor: null })
  })

  it('returns 20 users by default and at most 100', async () => {
    const manyTag = uniqueTag('many')
    await createTaggedUsers(manyTag, 101)
    const defaults = await getPage(`q=${manyTag}`)
    expect(defaults.data).toHaveLength(20)
    expect(defaults.nextCursor).not.toBeNull()
    const maximum = await getPage(`q=${manyTag}&limit=100`)
    expect(maximum.data).toHaveLength(100)
    const rest = await getPage(`q=${manyTag}&limit=100&cursor=${maximum.nextCursor}`)
    expect(rest.data).toHaveLength(1)
    expect(rest.nextCursor).toBeNull()
  })

  it.each(['limit=0', 'limit=101', 'limit=-1', 'limit=abc', 'limit=2.5'])(
    'answers 400 to %s',
    async (query) => {
      const response = await app.request(`/api/users?${query}`)
      expect(response.status).toBe(400)
      const problem = (await response.json()) as ProblemBody
      expect(problem.type).toBe('/problems/invalid-parameters')
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'limit', in: 'query' })])
    },
  )

  it.each(['garbage', 'djE6YWJj', 'djI6MTA', '!!!', 'djE6MA'])(
    'answers 400 to the forged cursor %j',
    async (cursor) => {
      const response = await app.request(`/api/users?cursor=${cursor}`)
      expect(response.status).toBe(400)
      expect(((await response.json()) as ProblemBody).errors).toEqual([
        expect.objectContaining({ field: 'cursor' }),
      ])
    },
  )
})

describe('GET /api/users search', () => {
  it('matches a substring of the name or the email, ignoring case', async () => {
    const tag = uniqueTag('find')
    const byName = await createUserViaApi(app, {
      name: `Zed ${tag} Person`,
      email: `${uniqueTag('a')}@example.test`,
    })
    const byEmail = await createUserViaApi(app, { name: 'Someone Else', email: `${tag}@example.test` })
    const found = await getPage(`q=${tag.toUpperCase()}`)
    expect(found.data.map((user) => user.id)).toEqual([byName.id, byEmail.id])
  })

  it('treats % and _ in the search as plain characters', async () => {
    const tag = uniqueTag('lit')
    const literal = await createUserViaApi(app, {
      name: `${tag} 100%_done`,
      email: `${uniqueTag('l')}@example.test`,
    })
    await createUserViaApi(app, { name: `${tag} 100xxdone`, email: `${uniqueTag('l')}@example.test` })
    const found = await getPage(`q=${encodeURIComponent(`${tag} 100%_`)}`)
    expect(found.data.map((user) => user.id)).toEqual([literal.id])
  })

  it('ignores an empty or blank search', async () => {
    const response = await app.request('/api/users?q=%20%20&limit=1')
    expect(response.status).toBe(200)
  })
})
