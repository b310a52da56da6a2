/** `Idempotency-Key` on the creates: POST /api/users and POST /api/auth/signup answer a retry with the first answer. */
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { fingerprintOf } from '../../edge/idempotency'
import { openApiDocument } from '../../edge/openapi-document'
import {
  asNewAdmin,
  createAccount,
  createTestApp,
  jsonInit,
  type ProblemBody,
  type SessionBody,
  testDatabase,
  type UserBody,
  uniqueEmail,
  uniqueTag,
  withToken,
} from './support'

const { app: server } = createTestApp()
const admin = asNewAdmin(server)

const createWithKey = (client: { request: typeof admin.request }, key: string, body: unknown) =>
  client.request('/api/users', jsonInit('POST', body, { 'Idempotency-Key': key }))

/** Everything of an answer a client can see and rely on, except the per-request headers (request id, timing). */
async function answerOf(response: Response) {
  return {
    status: response.status,
    location: response.headers.get('location'),
    etag: response.headers.get('etag'),
    body: await response.text(),
  }
}

async function usersMatching(tag: string): Promise<UserBody[]> {
  const response = await admin.request(`/api/users?q=${tag}&limit=100`)
  expect(response.status).toBe(200)
  return ((await response.json()) as { data: UserBody[] }).data
}

async function expectProblem(response: Response, status: number, type: string): Promise<void> {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  expect(((await response.json()) as ProblemBody).type).toBe(type)
}

describe('POST /api/users with Idempotency-Key', () => {
  it('creates the user once and answers a retry with the same status, headers and body, marked replayed', async () => {
    const tag = uniqueTag('once')
    const body = { name: `Once ${tag}`, email: `${tag}@example.test` }
    const key = crypto.randomUUID()
    const first = await createWithKey(admin, key, body)
    expect(first.status).toBe(201)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    const retry = await createWithKey(admin, key, body)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(await answerOf(retry)).toEqual(await answerOf(first))
    expect(await usersMatching(tag)).toHaveLength(1)
  })

  it('replays the first answer even after the user has changed', async () => {
    const tag = uniqueTag('moved')
    const body = { name: `Moved ${tag}`, email: `${tag}@example.test` }
    const key = crypto.randomUUID()
    const first = await answerOf(await createWithKey(admin, key, body))
    const { id } = JSON.parse(first.body) as UserBody
    expect((await admin.request(`/api/users/${id}`, jsonInit('PATCH', { name: 'Renamed' }))).status).toBe(200)
    expect(await answerOf(await createWithKey(admin, key, body))).toEqual(first)
  })

  it('treats bodies that differ only in key order, spacing or trimmed whitespace as the same request', async () => {
    const tag = uniqueTag('same')
    const key = crypto.randomUUID()
    const first = await createWithKey(admin, key, { name: 'Same', email: `${tag}@example.test` })
    expect(first.status).toBe(201)
    const reordered = await admin.request(
      '/api/users',
      jsonInit('POST', `{ "email" : " ${tag}@example.test ",  "name":"Same" }`, { 'Idempotency-Key': key }),
    )
    expect(reordered.status).toBe(201)
    expect(reordered.headers.get('idempotent-replayed')).toBe('true')
  })

  it('answers 422 and creates nothing when the key comes back with another body', async () => {
    const tag = uniqueTag('other')
    const key = crypto.randomUUID()
    expect((await createWithKey(admin, key, { name: 'First', email: `${tag}a@example.test` })).status).toBe(
      201,
    )
    const other = await createWithKey(admin, key, { name: 'Second', email: `${tag}b@example.test` })
    await expectProblem(other, 422, '/problems/idempotency-key-reused')
    expect(await usersMatching(tag)).toHaveLength(1)
  })

  it('keeps keys apart per caller: the same key from another admin is a new request', async () => {
    const otherAdmin = (await createAccount(server, 'admin', 'otheradmin')).client
    const key = crypto.randomUUID()
    const mine = await createWithKey(admin, key, { name: 'Mine', email: uniqueEmail('mine') })
    const theirs = await createWithKey(otherAdmin, key, { name: 'Theirs', email: uniqueEmail('theirs') })
    expect([mine.status, theirs.status]).toEqual([201, 201])
    expect(theirs.headers.get('idempotent-replayed')).toBeNull()
  })

  it("never replays one admin's answer to another who sends the same key and body: theirs is judged afresh", async () => {
    const otherAdmin = (await createAccount(server, 'admin', 'sameadmin')).client
    const key = crypto.randomUUID()
    const body = { name: 'Shared', email: uniqueEmail('sharedbody') }
    expect((await createWithKey(admin, key, body)).status).toBe(201)
    const theirs = await createWithKey(otherAdmin, key, body)
    expect(theirs.headers.get('idempotent-replayed')).toBeNull()
    await expectProblem(theirs, 409, '/problems/email-taken')
  })

  it('stores nothing for a create that failed: a retry after the email is freed creates the user', async () => {
    const email = uniqueEmail('freed')
    const holder = (await (
      await admin.request('/api/users', jsonInit('POST', { name: 'Holder', email }))
    ).json()) as UserBody
    const key = crypto.randomUUID()
    await expectProblem(
      await createWithKey(admin, key, { name: 'Late', email }),
      409,
      '/problems/email-taken',
    )
    expect((await admin.request(`/api/users/${holder.id}`, { method: 'DELETE' })).status).toBe(204)
    const retry = await createWithKey(admin, key, { name: 'Late', email })
    expect(retry.status).toBe(201)
    expect(retry.headers.get('idempotent-replayed')).toBeNull()
  })

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['with a space inside', 'a key'],
    ['non-ASCII', 'clé'],
  ])('answers 400 to a key that is %s, before the database', async (_, key) => {
    const response = await createWithKey(admin, key, { name: 'Bad key', email: uniqueEmail('badkey') })
    await expectProblem(response, 400, '/problems/invalid-idempotency-key')
  })

  it('accepts a key of exactly 255 characters, the longest there is', async () => {
    const key = `${crypto.randomUUID()}`.padEnd(255, 'k')
    const response = await createWithKey(admin, key, { name: 'Long key', email: uniqueEmail('longkey') })
    expect(response.status).toBe(201)
  })

  it('unquotes only a key that is one whole quoted string: quotes elsewhere are part of the key', async () => {
    const base = crypto.randomUUID()
    // Read as structured-field strings, each pair would be one key, and the second request a reuse (422).
    for (const [first, second] of [
      [`x"${base}"`, `"${base}`],
      [`"${base}"x`, `${base}"`],
    ] as const) {
      const one = await createWithKey(admin, first, { name: 'Quote one', email: uniqueEmail('quoteone') })
      const two = await createWithKey(admin, second, { name: 'Quote two', email: uniqueEmail('quotetwo') })
      expect([one.status, two.status], `${first} then ${second}`).toEqual([201, 201])
    }
  })

  it('accepts the key as a structured-field string too: "k" and k are the same key', async () => {
    const tag = uniqueTag('quoted')
    const key = crypto.randomUUID()
    const body = { name: 'Quoted', email: `${tag}@example.test` }
    expect((await createWithKey(admin, `"${key}"`, body)).status).toBe(201)
    const bare = await createWithKey(admin, key, body)
    expect(bare.headers.get('idempotent-replayed')).toBe('true')
  })

  it('creates exactly one user for ten concurrent requests with one key, and gives each the same answer', async () => {
    const tag = uniqueTag('ten')
    const body = { name: `Ten ${tag}`, email: `${tag}@example.test` }
    const key = crypto.randomUUID()
    const responses = await Promise.all(Array.from({ length: 10 }, () => createWithKey(admin, key, body)))
    const answers = await Promise.all(responses.map(answerOf))
    const created = answers.filter((answer) => answer.status === 201)
    // A request that finds the key taken but its answer not yet visible is told to retry (409); none here is other.
    for (const answer of answers.filter((answer) => answer.status !== 201)) {
      expect(answer.status).toBe(409)
      expect(JSON.parse(answer.body)).toMatchObject({ type: '/problems/idempotency-key-in-flight' })
    }
    expect(created.length).toBeGreaterThanOrEqual(1)
    for (const answer of created) expect(answer).toEqual(created[0])
    expect(responses.filter((response) => response.headers.get('idempotent-replayed') === null)).toHaveLength(
      1,
    )
    expect(await usersMatching(tag)).toHaveLength(1)
  })
})

describe('POST /api/auth/signup with Idempotency-Key', () => {
  const db = testDatabase()
  const signup = (key: string, body: unknown) =>
    server.request('/api/auth/signup', jsonInit('POST', body, { 'Idempotency-Key': key }))

  it('creates one account and answers a retry with the same user and a new working session, no old tokens', async () => {
    const body = { name: 'Signer', email: uniqueEmail('signer'), password: 'a long enough password' }
    const key = crypto.randomUUID()
    const first = await signup(key, body)
    expect(first.status).toBe(201)
    const firstSession = (await first.json()) as SessionBody
    const retry = await signup(key, body)
    expect(retry.status).toBe(201)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(retry.headers.get('location')).toBe(first.headers.get('location'))
    const retrySession = (await retry.json()) as SessionBody
    expect(retrySession.user).toEqual(firstSession.user)
    // Tokens are never stored: the retry proved it knows the password (same body), so it gets a session of its own.
    expect(retrySession.refreshToken).not.toBe(firstSession.refreshToken)
    expect(retry.headers.get('set-cookie')).toMatch(/edgeline/)
    const me = await withToken(server, retrySession.accessToken).request('/api/auth/me')
    expect(((await me.json()) as { user: UserBody }).user.id).toBe(firstSession.user.id)
    const refreshed = await server.request(
      '/api/auth/refresh',
      jsonInit('POST', { refreshToken: retrySession.refreshToken }),
    )
    expect(refreshed.status).toBe(200)
  })

  it('keeps keys apart per email: the same key with two different emails creates two accounts', async () => {
    const key = crypto.randomUUID()
    const first = await signup(key, {
      name: 'First',
      email: uniqueEmail('keyone'),
      password: 'a long enough password',
    })
    const second = await signup(key, {
      name: 'Second',
      email: uniqueEmail('keytwo'),
      password: 'a long enough password',
    })
    expect([first.status, second.status]).toEqual([201, 201])
    expect(second.headers.get('idempotent-replayed')).toBeNull()
    const [one, two] = (await Promise.all([first.json(), second.json()])) as SessionBody[]
    expect(two?.user.id).not.toBe(one?.user.id)
  })

  it('answers 422 and issues no session when the key comes back with another password', async () => {
    const body = { name: 'Guarded', email: uniqueEmail('guarded'), password: 'the right password' }
    const key = crypto.randomUUID()
    expect((await signup(key, body)).status).toBe(201)
    const guess = await signup(key, { ...body, password: 'a wrong password guess' })
    await expectProblem(guess, 422, '/problems/idempotency-key-reused')
    expect(guess.headers.get('set-cookie')).toBeNull()
  })

  /** A sign-up sent with a key, then replayed after `meanwhile` acted on the account the first answer holds. */
  async function replayAfter(meanwhile: (session: SessionBody) => Promise<void>) {
    const body = { name: 'Replayed', email: uniqueEmail('replayed'), password: 'the first password' }
    const key = crypto.randomUUID()
    const first = await signup(key, body)
    expect(first.status).toBe(201)
    await meanwhile((await first.json()) as SessionBody)
    return signup(key, body)
  }

  /** A replay refused with `type`: no token in the body, no cookie set. */
  async function expectNoSession(replay: Response, status: number, type: string) {
    expect(replay.headers.get('set-cookie')).toBeNull()
    const text = await replay.clone().text()
    expect(text).not.toMatch(/accessToken|refreshToken/)
    await expectProblem(replay, status, type)
  }

  it('starts no session when the sign-up is replayed after the password was changed', async () => {
    const replay = await replayAfter(async (session) => {
      const changed = await withToken(server, session.accessToken).request(
        '/api/auth/password',
        jsonInit('POST', { currentPassword: 'the first password', newPassword: 'a second password' }),
      )
      expect(changed.status).toBe(200)
    })
    await expectNoSession(replay, 409, '/problems/signup-credential-changed')
  })

  it('starts no session when replayed after any other write of the password hash (a reset, an invitation)', async () => {
    // Those flows are not ours to call here: any write of a new hash is what they do, and all the rule looks at.
    const replay = await replayAfter(async (session) => {
      await db.execute(
        sql`update users set password_hash = 'pbkdf2$reset$hash' where id = ${session.user.id}`,
      )
    })
    await expectNoSession(replay, 409, '/problems/signup-credential-changed')
  })

  it('starts no session when replayed after the account was deleted', async () => {
    const replay = await replayAfter(async (session) => {
      const deleted = await withToken(server, session.accessToken).request(`/api/users/${session.user.id}`, {
        method: 'DELETE',
      })
      expect(deleted.status).toBe(204)
    })
    await expectNoSession(replay, 404, '/problems/not-found')
  })

  it('still replays with a session after a rename: only the credential matters', async () => {
    const replay = await replayAfter(async (session) => {
      const renamed = await withToken(server, session.accessToken).request(
        `/api/users/${session.user.id}`,
        jsonInit('PATCH', { name: 'Renamed since' }),
      )
      expect(renamed.status).toBe(200)
    })
    expect(replay.status).toBe(201)
    expect(((await replay.json()) as SessionBody).accessToken).toBeTruthy()
  })

  it('creates exactly one account for ten concurrent sign-ups with one key', async () => {
    const body = { name: 'Stampede', email: uniqueEmail('signupten'), password: 'a long enough password' }
    const key = crypto.randomUUID()
    const responses = await Promise.all(Array.from({ length: 10 }, () => signup(key, body)))
    for (const response of responses.filter((response) => response.status !== 201)) {
      await expectProblem(response.clone(), 409, '/problems/idempotency-key-in-flight')
    }
    const users = await Promise.all(
      responses
        .filter((response) => response.status === 201)
        .map(async (response) => ((await response.json()) as SessionBody).user),
    )
    expect(users.length).toBeGreaterThanOrEqual(1)
    for (const user of users) expect(user).toEqual(users[0])
    const found = await admin.request(`/api/users?q=${encodeURIComponent(body.email)}`)
    expect(((await found.json()) as { data: UserBody[] }).data).toHaveLength(1)
  })
})

describe('the lifetime of idempotency keys', () => {
  const db = testDatabase()
  const backdate = (key: string, hours: number) =>
    db.execute(
      sql`update idempotency_keys set created_at = now() - make_interval(hours => ${hours}) where key = ${key}`,
    )
  const stored = async (key: string) =>
    (await db.execute(sql`select 1 from idempotency_keys where key = ${key}`)).rows.length

  it('forgets a key after 24 hours: the same key then starts a new request', async () => {
    const key = crypto.randomUUID()
    expect((await createWithKey(admin, key, { name: 'Old', email: uniqueEmail('old') })).status).toBe(201)
    await backdate(key, 25)
    const reused = await createWithKey(admin, key, { name: 'New', email: uniqueEmail('new') })
    expect(reused.status).toBe(201)
    expect(reused.headers.get('idempotent-replayed')).toBeNull()
  })

  it('still replays a key just under 24 hours old', async () => {
    const key = crypto.randomUUID()
    const body = { name: 'Aged', email: uniqueEmail('aged') }
    expect((await createWithKey(admin, key, body)).status).toBe(201)
    await backdate(key, 23)
    expect((await createWithKey(admin, key, body)).headers.get('idempotent-replayed')).toBe('true')
  })

  it('purges expired keys as later creates go by, with no round trip of its own', async () => {
    const expired = crypto.randomUUID()
    expect(
      (await createWithKey(admin, expired, { name: 'Expired', email: uniqueEmail('expired') })).status,
    ).toBe(201)
    await backdate(expired, 48)
    expect(await stored(expired)).toBe(1)
    expect(
      (await createWithKey(admin, crypto.randomUUID(), { name: 'Later', email: uniqueEmail('later') }))
        .status,
    ).toBe(201)
    expect(await stored(expired)).toBe(0)
  })
})

describe('the contract of Idempotency-Key', () => {
  interface Operation {
    parameters?: { name: string; in: string }[]
    responses: Record<string, { headers?: Record<string, unknown> }>
  }

  it('is in the OpenAPI document of both creates, with the replay header', async () => {
    const document = openApiDocument(server) as unknown as {
      paths: Record<string, Record<string, Operation>>
    }
    for (const path of ['/api/users', '/api/auth/signup']) {
      const operation = document.paths[path]?.post
      const headers = (operation?.parameters ?? []).filter((parameter) => parameter.in === 'header')
      expect(
        headers.map((parameter) => parameter.name),
        path,
      ).toEqual(['Idempotency-Key'])
      expect(operation?.responses['201']?.headers, path).toHaveProperty('Idempotent-Replayed')
      expect(Object.keys(operation?.responses ?? {}), path).toEqual(expect.arrayContaining(['409', '422']))
    }
  })

  it('lets a browser on an allowed origin send the key and read the replay header', async () => {
    const origin = 'https://app.example.test'
    const { app: withCors } = createTestApp({ config: { corsOrigins: [origin] } })
    const preflight = await withCors.request('/api/users', {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, idempotency-key',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/idempotency-key/i)
    const answer = await withCors.request('/api/hello', { headers: { Origin: origin } })
    expect(answer.headers.get('access-control-expose-headers')).toMatch(/\bIdempotent-Replayed\b/)
  })
})

describe('the fingerprint of a request', () => {
  const request = (body: unknown) => ({ method: 'POST', path: '/api/users', body })

  it('is the SHA-256 of its method, path and body as canonical JSON, base64url', async () => {
    const digest = await crypto.subtle.digest(
      'SHA-256',
      new TextEncoder().encode('["POST","/api/users",{"a":1,"b":[true,null,"x"]}]'),
    )
    const expected = btoa(String.fromCharCode(...new Uint8Array(digest)))
      .replaceAll('+', '-')
      .replaceAll('/', '_')
      .replace(/=+$/, '')
    expect(await fingerprintOf(request({ b: [true, null, 'x'], a: 1 }))).toBe(expected)
  })

  it('is the same whatever the order of object keys, at every depth', async () => {
    const one = await fingerprintOf(request({ a: 1, b: { c: [{ d: 1, e: 2 }], f: 'g' }, h: null }))
    const two = await fingerprintOf(request({ h: null, b: { f: 'g', c: [{ e: 2, d: 1 }] }, a: 1 }))
    expect(two).toBe(one)
  })

  it('leaves out members that are undefined, and reads a missing body as null', async () => {
    expect(await fingerprintOf(request({ a: 1, b: undefined }))).toBe(await fingerprintOf(request({ a: 1 })))
    expect(await fingerprintOf(request(undefined))).toBe(await fingerprintOf(request(null)))
  })

  it('differs for bodies that differ in any value, in array order or in array bounds', async () => {
    const bodies: unknown[] = [
      { a: 1 },
      { a: 2 },
      { a: null },
      { a: {} },
      { a: [] },
      [1, 2],
      [2, 1],
      [12],
      [[1], 2],
      ['1', 2],
      { a: [1, 2] },
      { a: '1' },
    ]
    const prints = await Promise.all(bodies.map((body) => fingerprintOf(request(body))))
    expect(new Set(prints).size).toBe(bodies.length)
  })

  it('is an HMAC under the secret when there is one: another secret, or none, gives another fingerprint', async () => {
    const body = { email: 'a@example.test', password: 'correct horse' }
    const plain = await fingerprintOf(request(body))
    const keyed = await fingerprintOf(request(body), 'secret one')
    expect(keyed).not.toBe(plain)
    expect(await fingerprintOf(request(body), 'secret one')).toBe(keyed)
    expect(await fingerprintOf(request(body), 'secret two')).not.toBe(keyed)
  })
})
