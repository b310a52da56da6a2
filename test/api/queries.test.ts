/**
 * db/queries called directly, on the run's database: each function's outcomes as data (`{ status: … }`), which the
 * routes map to HTTP. Several outcomes look alike over HTTP (a reused and an unknown refresh token are both a 401),
 * so they are told apart here.
 */
import { describe, expect, it } from 'vitest'
import {
  countLoginAttempt,
  createAccountWithSession,
  createAccountWithSessionIdempotently,
  rotateRefreshToken,
  startSession,
} from '../../db/queries/accounts'
import { type IdempotentRequest, readOutcome } from '../../db/queries/idempotency'
import {
  createUser,
  createUserIdempotently,
  deleteUser,
  hasAnyUser,
  insertUsersSkippingExisting,
  updateUser,
} from '../../db/queries/users'
import type { Role } from '../../db/schema'
import { testDatabase, uniqueEmail, uniqueTag } from './support'

const db = testDatabase()
const refresh = (ttlSeconds = 3600) => ({
  tokenHash: uniqueTag('hash'),
  familyId: crypto.randomUUID(),
  ttlSeconds,
})
const keyed = (fingerprint = 'f'): IdempotentRequest => ({
  scope: `queries:${uniqueTag()}`,
  key: uniqueTag('key'),
  fingerprint,
  claim: crypto.randomUUID(),
})

async function newAccount() {
  const first = refresh()
  const result = await createAccountWithSession(
    db,
    { name: 'Query Person', email: uniqueEmail('q'), passwordHash: 'not-a-real-hash' },
    first,
  )
  if (result.status !== 'created') throw new Error(result.status)
  return { user: result.user, first }
}

describe('readOutcome (what the final select of an idempotent create says)', () => {
  const created = { id: 1 }

  it('is created only when this request holds the claim and the create returned a row', () => {
    expect(
      readOutcome({ claimed_here: true, same_request: true, status: null, resource: null, created }),
    ).toEqual({
      kind: 'created',
      row: created,
    })
    expect(() =>
      readOutcome({ claimed_here: true, same_request: true, status: null, resource: null, created: null }),
    ).toThrow(/claimed but the create wrote nothing/)
  })

  it('replays a stored answer of the same request, and tells a reused key and one in flight apart', () => {
    const stored = { status: 201, resource: { id: 2 } }
    expect(readOutcome({ claimed_here: false, same_request: true, ...stored, created })).toEqual({
      kind: 'replayed',
      status: 201,
      row: { id: 2 },
    })
    expect(readOutcome({ claimed_here: false, same_request: false, ...stored, created: null })).toEqual({
      kind: 'key-reused',
    })
    for (const row of [
      undefined,
      { claimed_here: null, same_request: null, status: null, resource: null, created: null },
      { claimed_here: false, same_request: true, status: null, resource: { id: 2 }, created: null },
      { claimed_here: false, same_request: true, status: 201, resource: null, created: null },
    ]) {
      expect(readOutcome(row), JSON.stringify(row)).toEqual({ kind: 'in-flight' })
    }
  })
})

describe('accounts', () => {
  it('answers created with the user, then email-taken for the same email in any case', async () => {
    const email = uniqueEmail('acct')
    const input = { name: 'Acct', email, passwordHash: 'h' }
    const created = await createAccountWithSession(db, input, refresh())
    expect(created).toMatchObject({ status: 'created', user: { email, role: 'user' } })
    expect(await createAccountWithSession(db, { ...input, email: email.toUpperCase() }, refresh())).toEqual({
      status: 'email-taken',
    })
    const idempotent = await createAccountWithSessionIdempotently(
      db,
      { ...input, email: email.toUpperCase() },
      refresh(),
      keyed(),
    )
    expect(idempotent).toEqual({ status: 'email-taken' })
  })

  it('answers an idempotent sign-up created, then replayed with the current role, then account-gone once deleted', async () => {
    const request = keyed()
    const input = { name: 'Keyed', email: uniqueEmail('keyed'), passwordHash: 'h' }
    const first = await createAccountWithSessionIdempotently(db, input, refresh(), request)
    if (first.status !== 'created') throw new Error(first.status)
    await updateUser(db, first.user.id, { role: 'admin' })
    const again = await createAccountWithSessionIdempotently(db, input, refresh(), {
      ...request,
      claim: crypto.randomUUID(),
    })
    expect(again).toMatchObject({ status: 'replayed', role: 'admin', user: { id: first.user.id } })
    expect(await deleteUser(db, first.user.id)).toMatchObject({ status: 'deleted' })
    const gone = await createAccountWithSessionIdempotently(db, input, refresh(), {
      ...request,
      claim: crypto.randomUUID(),
    })
    expect(gone).toEqual({ status: 'account-gone' })
  })

  it('lets an idempotent sign-up fail loudly on any error but a taken email', async () => {
    // A NUL cannot be stored in Postgres text: the statement fails, and that is not "email taken".
    const input = { name: 'Nul\u0000Name', email: uniqueEmail('nul'), passwordHash: 'h' }
    await expect(createAccountWithSessionIdempotently(db, input, refresh(), keyed())).rejects.toThrow()
  })

  it('starts a session only for a user that exists', async () => {
    const { user } = await newAccount()
    const session = {
      refresh: refresh(),
      emailBucket: uniqueTag('b'),
      clientBucket: undefined,
      upgradedPasswordHash: undefined,
    }
    expect(await startSession(db, { ...session, userId: user.id })).toBe(true)
    expect(await startSession(db, { ...session, refresh: refresh(), userId: 2147483647 })).toBe(false)
  })

  it('rotates a refresh token once; within the grace it is superseded, after it reused, unknown is invalid', async () => {
    const { user, first } = await newAccount()
    const second = refresh()
    expect(await rotateRefreshToken(db, first.tokenHash, second, 30)).toEqual({
      status: 'rotated',
      userId: user.id,
      role: 'user',
      familyId: first.familyId,
    })
    expect(await rotateRefreshToken(db, first.tokenHash, refresh(), 30)).toEqual({ status: 'superseded' })
    expect(await rotateRefreshToken(db, first.tokenHash, refresh(), 0)).toEqual({ status: 'reused' })
    // The reuse revoked the family: the token the first rotation issued is no longer good either.
    expect(await rotateRefreshToken(db, second.tokenHash, refresh(), 0)).toEqual({ status: 'invalid' })
    expect(await rotateRefreshToken(db, uniqueTag('unknown'), refresh(), 0)).toEqual({ status: 'invalid' })
  })

  it('counts a log-in attempt: admitted within the limit, then refused until the window of the full bucket ends', async () => {
    const { user } = await newAccount()
    const buckets = [{ bucket: uniqueTag('email-bucket'), maxAttempts: 1 }]
    const admitted = await countLoginAttempt(db, user.email, buckets, 900)
    expect(admitted.retryAfterSeconds).toBeUndefined()
    expect(admitted.account).toMatchObject({
      id: user.id,
      email: user.email,
      passwordHash: 'not-a-real-hash',
    })
    // Asked with a shorter window, the answer is still the time left of the bucket's own (900 s) window.
    const refused = await countLoginAttempt(db, user.email, buckets, 60)
    expect(refused.retryAfterSeconds).toBeGreaterThan(800)
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(900)
    const unknown = await countLoginAttempt(
      db,
      uniqueEmail('nobody'),
      [{ bucket: uniqueTag('b'), maxAttempts: 5 }],
      900,
    )
    expect(unknown).toEqual({ account: undefined, retryAfterSeconds: undefined })
  })
})

describe('users', () => {
  it('answers created, updated and deleted, and not-found or precondition-failed when nothing changed', async () => {
    const created = await createUser(db, { name: 'Plain', email: uniqueEmail('u') })
    if (created.status !== 'created') throw new Error(created.status)
    const { id, version } = created.user
    expect(await updateUser(db, id, { name: 'Renamed' })).toMatchObject({
      status: 'updated',
      user: { name: 'Renamed' },
    })
    expect(await updateUser(db, id, { name: 'Stale' }, [version])).toEqual({ status: 'precondition-failed' })
    expect(await updateUser(db, 2147483647, { name: 'Nobody' })).toEqual({ status: 'not-found' })
    expect(await deleteUser(db, id, [version])).toEqual({ status: 'precondition-failed' })
    expect(await deleteUser(db, id)).toEqual({ status: 'deleted', position: expect.stringMatching(/^\d+$/) })
    expect(await deleteUser(db, id)).toEqual({ status: 'not-found' })
    expect(await deleteUser(db, id, [version])).toEqual({ status: 'not-found' })
  })

  it('keeps the role an idempotent create is given, and refuses a role that does not exist', async () => {
    const made = await createUserIdempotently(
      db,
      { name: 'Boss', email: uniqueEmail('boss'), role: 'admin' },
      keyed(),
    )
    expect(made).toMatchObject({ status: 'created', user: { role: 'admin' } })
    const bad = { name: 'Root', email: uniqueEmail('root'), role: 'root' as Role }
    await expect(createUserIdempotently(db, bad, keyed())).rejects.toThrow()
    await expect(createUser(db, bad)).rejects.toThrow()
  })

  it('says whether any user exists, and inserts nothing (and no statement) for an empty list', async () => {
    await createUser(db, { name: 'Someone', email: uniqueEmail('any') })
    expect(await hasAnyUser(db)).toBe(true)
    expect(await insertUsersSkippingExisting(db, [])).toBe(0)
    const email = uniqueEmail('bulk')
    expect(await insertUsersSkippingExisting(db, [{ name: 'Bulk', email }])).toBe(1)
    expect(await insertUsersSkippingExisting(db, [{ name: 'Bulk', email }])).toBe(0)
  })
})
