/**
 * What a page reads (edge/pages/page-view.ts): the same data the API answers for the same session and query, read
 * in-process through the API's own statements, in one database round trip at most.
 */
import { neonConfig } from '@neondatabase/serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { setIdentityHeaders } from '../../edge/auth/credentials'
import type { Identity } from '../../edge/auth/tokens'
import { encodeCursor } from '../../edge/cursor'
import { readPageView } from '../../edge/pages/page-view'
import { readUsersListQuery } from '../../edge/pages/users-list-query'
import {
  type Account,
  createAccount,
  createTestApp,
  createUserViaApi,
  testConfig,
  testDatabase,
  uniqueTag,
} from './support'

// Counts the driver's requests to the endpoint, as test/api/round-trips.test.ts does: one request, one round trip.
let requestsToDatabase = 0
const originalFetchFunction: unknown = neonConfig.fetchFunction
beforeAll(() => {
  neonConfig.fetchFunction = (input: RequestInfo | URL, init?: RequestInit) => {
    requestsToDatabase += 1
    return fetch(input, init)
  }
})
afterAll(() => {
  neonConfig.fetchFunction = originalFetchFunction
})

const { app } = createTestApp()
const db = testDatabase()
let admin: Account
let tag: string

beforeAll(async () => {
  admin = await createAccount(app, 'admin')
  tag = uniqueTag('pv')
  for (let index = 0; index < 3; index++) {
    await createUserViaApi(admin.client, {
      name: `Paged ${tag} ${index}`,
      email: `${tag}-${index}@example.test`,
    })
  }
})

/** The headers middleware.ts hands a page for this identity. */
function headersOf(identity?: Identity): Headers {
  const headers = new Headers()
  if (identity) setIdentityHeaders(headers, identity)
  return headers
}

const identityOf = (account: Account): Identity => ({
  userId: String(account.user.id),
  role: account.user.role,
})

async function counted<T>(read: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
  const before = requestsToDatabase
  const result = await read()
  return { result, roundTrips: requestsToDatabase - before }
}

describe('a page view', () => {
  it('reads nothing for a visitor without a session, even when the page would list users', async () => {
    const { result, roundTrips } = await counted(() =>
      readPageView(headersOf(), db, { users: readUsersListQuery({ q: tag }) }),
    )
    expect(result).toEqual({ identity: undefined, account: undefined })
    expect(roundTrips).toBe(0)
  })

  it('reads the signed-in account as GET /api/auth/me answers it, in one round trip', async () => {
    const me = (await (await admin.client.request('/api/auth/me')).json()) as { user: unknown }
    const { result, roundTrips } = await counted(() => readPageView(headersOf(identityOf(admin)), db))
    expect(result).toEqual({ identity: identityOf(admin), account: me.user })
    expect(roundTrips).toBe(1)
  })

  it('reads the account and a page of the list as the API answers them, both in one round trip', async () => {
    const first = await admin.client.request(`/api/users?q=${tag}&limit=2`)
    expect(first.status).toBe(200)
    const apiPage = (await first.json()) as { nextCursor: string }
    const cursor = encodeCursor({ direction: 'after', id: 1 })
    const cases: Record<string, string>[] = [
      { q: tag, limit: '2' },
      { q: tag, cursor: apiPage.nextCursor },
      { q: ` ${tag} `, cursor },
    ]
    for (const query of cases) {
      const apiAnswer = await admin.client.request(`/api/users?${new URLSearchParams(query)}`)
      const { result, roundTrips } = await counted(() =>
        readPageView(headersOf(identityOf(admin)), db, { users: readUsersListQuery(query) }),
      )
      expect(result.usersPage, JSON.stringify(query)).toEqual(await apiAnswer.json())
      expect(result.account?.id).toBe(admin.user.id)
      expect(roundTrips, JSON.stringify(query)).toBe(1)
    }
  })

  it('refuses the query the API refuses, with the same problem, and still names the account in one round trip', async () => {
    const refused: Record<string, string>[] = [{ cursor: 'not-a-cursor' }, { q: 'x'.repeat(201) }]
    for (const query of refused) {
      const apiAnswer = await admin.client.request(`/api/users?${new URLSearchParams(query)}`)
      expect(apiAnswer.status).toBe(400)
      const apiProblem = (await apiAnswer.json()) as { detail: string; errors: unknown[] }
      const { result, roundTrips } = await counted(() =>
        readPageView(headersOf(identityOf(admin)), db, { users: readUsersListQuery(query) }),
      )
      expect(result.usersPage).toBeUndefined()
      expect({ detail: result.problem?.detail, errors: result.problem?.errors }).toEqual({
        detail: apiProblem.detail,
        errors: apiProblem.errors,
      })
      expect(result.account?.id).toBe(admin.user.id)
      expect(roundTrips).toBe(1)
    }
  })

  it('has no account to read for a subject of the identity provider, as /api/auth/me says (user null)', async () => {
    const outsider: Identity = { userId: 'idp|someone', role: 'user' }
    const alone = await counted(() => readPageView(headersOf(outsider), db))
    expect(alone).toEqual({ result: { identity: outsider, account: null }, roundTrips: 0 })
    const listed = await counted(() =>
      readPageView(headersOf(outsider), db, { users: readUsersListQuery({ q: tag }) }),
    )
    expect(listed.result.account).toBeNull()
    expect(listed.result.usersPage?.data).toHaveLength(3)
    expect(listed.roundTrips).toBe(1)
  })

  it('says the account is gone (null) once it was deleted, like /api/auth/me', async () => {
    const leaving = await createAccount(app, 'user')
    expect((await leaving.client.request(`/api/users/${leaving.user.id}`, { method: 'DELETE' })).status).toBe(
      204,
    )
    const { result } = await counted(() => readPageView(headersOf(identityOf(leaving)), db))
    expect(result.account).toBeNull()
  })

  it("shows the API's 503 problem instead of failing the page when the database refuses connections", async () => {
    const refusing = createDatabase({
      databaseUrl: 'postgresql://postgres@127.0.0.1:1/edgeline',
      sqlGatewayEndpoint: testConfig().sqlGatewayEndpoint,
    })
    const { result } = await counted(() =>
      readPageView(headersOf(identityOf(admin)), refusing, { users: readUsersListQuery({}) }),
    )
    expect(result.account).toBeUndefined()
    expect(result.usersPage).toBeUndefined()
    expect(result.problem?.status).toBe(503)
    expect(result.problem?.slug).toBe('database-unavailable')
  })
})
