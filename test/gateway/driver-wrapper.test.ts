/**
 * The driver wrapper (db/client.ts, db/deadline.ts, db/plain-read.ts) against the run's real gateway: each call's
 * deadline, the caller's own signal, and the one retry of a request whose answer was lost, which only a lone plain
 * SELECT gets. A "lost answer" here is a fetch that reached the gateway (the statement ran) and then failed.
 */
import { neonConfig } from '@neondatabase/serverless'
import { sql } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest'
import { createDatabase, type SqlFetch } from '../../db/client'
import { withReadRetry } from '../../db/deadline'
import { classifyDatabaseFailure } from '../../db/errors'
import { isPlainRead } from '../../db/plain-read'
import { uniqueName } from './backends'

const databaseUrl = inject('databaseUrl')
const sqlGatewayEndpoint = inject('sqlEndpoint')

// The driver's settings are process-wide: put back what this file found, for whatever runs after it.
const found = { endpoint: neonConfig.fetchEndpoint, fetchFunction: neonConfig.fetchFunction }
afterEach(() => {
  neonConfig.fetchFunction = found.fetchFunction
})
afterAll(() => {
  neonConfig.fetchEndpoint = found.endpoint
})

/**
 * A fetch to the real gateway that counts what it sends and, while `loseNext` is set, lets the next request run
 * and then throws instead of answering, as a connection reset after the gateway answered would.
 */
function losingFetch() {
  const state = { sent: 0, lost: 0, loseNext: false }
  const send: SqlFetch = async (url, init) => {
    state.sent += 1
    const response = await fetch(url, init)
    if (!state.loseNext) return response
    state.loseNext = false
    state.lost += 1
    await response.arrayBuffer()
    throw new TypeError('fetch failed')
  }
  return { state, send }
}

async function countOf(db: ReturnType<typeof createDatabase>, table: string, tag: string): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from ${sql.identifier(table)} where tag = ${tag}`,
  )
  return Number(rows[0]?.n)
}

/**
 * Waits out a statement a deadline gave up on: PGlite cannot cancel one, and runs one at a time, so the next call
 * would wait behind it (real Postgres has cancelled it already).
 */
async function untilIdle() {
  await createDatabase({ databaseUrl, sqlGatewayEndpoint, timeoutMs: 10_000 }).execute(sql`select 1`)
}

describe('the database deadline', () => {
  afterEach(untilIdle)

  it('gives up a call that outlasts it with a timeout, well before the statement ends', async () => {
    const db = createDatabase({ databaseUrl, sqlGatewayEndpoint, timeoutMs: 300 })
    const started = Date.now()
    const error = await db.execute(sql`select pg_sleep(1.5)`).then(
      () => undefined,
      (failure: unknown) => failure,
    )
    expect(classifyDatabaseFailure(error)).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(1_200)
  })

  it('gives each call a deadline of its own, counted from when that call starts', async () => {
    const db = createDatabase({ databaseUrl, sqlGatewayEndpoint, timeoutMs: 2_000 })
    // Four calls of 0.6 s: together past one deadline, each well within its own.
    for (let i = 0; i < 4; i++) await db.execute(sql`select pg_sleep(0.6)`)
  })

  it("also gives up when the caller's own signal aborts first, with the caller's reason", async () => {
    const caller = new AbortController()
    const db = createDatabase({
      databaseUrl,
      sqlGatewayEndpoint,
      timeoutMs: 5_000,
      fetchOptions: { signal: caller.signal },
    })
    setTimeout(() => caller.abort(new Error('caller gave up')), 200)
    const started = Date.now()
    const error = await db.execute(sql`select pg_sleep(1.5)`).then(
      () => undefined,
      (failure: unknown) => failure,
    )
    expect(String((error as { cause?: { sourceError?: unknown } }).cause?.sourceError)).toContain(
      'caller gave up',
    )
    expect(Date.now() - started).toBeLessThan(1_200)
  })

  it("keeps the deadline when the caller's signal never aborts", async () => {
    const db = createDatabase({
      databaseUrl,
      sqlGatewayEndpoint,
      timeoutMs: 300,
      fetchOptions: { signal: new AbortController().signal },
    })
    const error = await db.execute(sql`select pg_sleep(1.5)`).then(
      () => undefined,
      (failure: unknown) => failure,
    )
    expect(classifyDatabaseFailure(error)).toBe('timeout')
  })
})

describe('the retry of a request whose answer was lost', () => {
  const table = uniqueName('driver_wrapper')
  beforeAll(async () => {
    await createDatabase({ databaseUrl, sqlGatewayEndpoint }).execute(
      sql.raw(`create table ${table} (tag text not null)`),
    )
  })
  afterAll(async () => {
    neonConfig.fetchFunction = undefined
    await createDatabase({ databaseUrl, sqlGatewayEndpoint }).execute(
      sql.raw(`drop table if exists ${table}`),
    )
  })

  it('sends a lone SELECT once more and answers it', async () => {
    const { state, send } = losingFetch()
    const db = createDatabase({ databaseUrl, sqlGatewayEndpoint, fetchFunction: send })
    state.loseNext = true
    const { rows } = await db.execute(sql`select 41 + 1 as answer`)
    expect(rows).toEqual([{ answer: 42 }])
    expect(state).toMatchObject({ sent: 2, lost: 1 })
  })

  it('never sends an INSERT again: the call fails and the row is there once', async () => {
    const { state, send } = losingFetch()
    const db = createDatabase({ databaseUrl, sqlGatewayEndpoint, fetchFunction: send })
    const tag = uniqueName('insert')
    state.loseNext = true
    await expect(
      db.execute(sql`insert into ${sql.identifier(table)} (tag) values (${tag})`),
    ).rejects.toThrow()
    expect(state).toMatchObject({ sent: 1, lost: 1 })
    expect(await countOf(db, table, tag)).toBe(1)
  })

  it('never sends a batch again, even one of SELECTs', async () => {
    const { state, send } = losingFetch()
    const db = createDatabase({ databaseUrl, sqlGatewayEndpoint, fetchFunction: send })
    state.loseNext = true
    await expect(db.batch([db.execute(sql`select 1`), db.execute(sql`select 2`)])).rejects.toThrow()
    expect(state.sent).toBe(1)
  })

  it('never sends a locking SELECT again', async () => {
    const { state, send } = losingFetch()
    const db = createDatabase({ databaseUrl, sqlGatewayEndpoint, fetchFunction: send })
    state.loseNext = true
    await expect(db.execute(sql`select tag from ${sql.identifier(table)} for update`)).rejects.toThrow()
    expect(state.sent).toBe(1)
  })

  it('never sends again a request its deadline ended', async () => {
    onTestFinished(untilIdle)
    const sent: string[] = []
    const db = createDatabase({
      databaseUrl,
      sqlGatewayEndpoint,
      timeoutMs: 300,
      fetchFunction: (url, init) => {
        sent.push(String(init.body))
        return fetch(url, init)
      },
    })
    await expect(db.execute(sql`select pg_sleep(1.5)`)).rejects.toThrow()
    expect(sent).toHaveLength(1)
  })

  it('retries with the global fetch when none is given, and leaves alone a fetch someone else installed', async () => {
    // No fetch given and none installed: the wrapper's own, over the global fetch, answers.
    neonConfig.fetchFunction = undefined
    const plain = createDatabase({ databaseUrl, sqlGatewayEndpoint })
    expect((await plain.execute(sql`select 1 as one`)).rows).toEqual([{ one: 1 }])

    // A fetch installed before (a test counting requests) keeps seeing every request.
    const seen: string[] = []
    neonConfig.fetchFunction = (url: string, init: RequestInit) => {
      seen.push(String(init.body))
      return fetch(url, init)
    }
    const counted = createDatabase({ databaseUrl, sqlGatewayEndpoint })
    await counted.execute(sql`select 2 as two`)
    expect(seen).toHaveLength(1)
  })

  it('retries a request that carries no signal at all (a caller of the wrapper without a deadline)', async () => {
    let calls = 0
    const retrying = withReadRetry(async () => {
      calls += 1
      if (calls === 1) throw new TypeError('fetch failed')
      return new Response('second answer')
    })
    const response = await retrying('http://gateway.invalid/sql', {
      method: 'POST',
      body: JSON.stringify({ query: 'select 1', params: [] }),
    })
    expect(await response.text()).toBe('second answer')
    expect(calls).toBe(2)
  })

  it('does not retry a body it cannot read as one query', async () => {
    for (const body of [
      'not json',
      JSON.stringify({ query: 42 }),
      JSON.stringify({ query: ['select 1'] }),
      new Uint8Array([1]),
    ]) {
      let calls = 0
      const retrying = withReadRetry(async () => {
        calls += 1
        throw new TypeError('fetch failed')
      })
      await expect(retrying('http://gateway.invalid/sql', { method: 'POST', body })).rejects.toThrow(
        'fetch failed',
      )
      expect(calls).toBe(1)
    }
  })
})

describe('what counts as a plain read (sent again after a lost answer)', () => {
  it.each([
    'select 1',
    'SELECT * FROM users',
    '  \n\tSelect id from users',
    "select * from notes where body = 'for updates'",
    'select for_update from flags',
    'select * from t where x = 1 -- before share',
  ])('%j is a plain read', (text) => {
    expect(isPlainRead(text)).toBe(true)
  })

  it.each([
    'insert into t values (1)',
    'with x as (delete from t returning *) select * from x',
    'selection',
    'selectx 1',
    '/* select */ delete from t',
    'x select 1',
    'select * from t for update',
    'SELECT * FROM t FOR SHARE',
    'select * from t for  no  key  update',
    'select * from t\nfor\nupdate',
    'select * from t FOR UPDATE SKIP LOCKED',
  ])('%j is not', (text) => {
    expect(isPlainRead(text)).toBe(false)
  })
})
