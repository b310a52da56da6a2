/** Bad or abandoned requests get a clear answer and never stop the endpoint from serving the next one. */
import { request as httpRequest } from 'node:http'
import { describe, expect, it } from 'vitest'
import { backends, connect, sqlEndpoint, uniqueName } from './backends'

const embeddedUrl = backends[0]?.url as string

function post(body: string, headers: Record<string, string> = {}, method = 'POST') {
  return fetch(sqlEndpoint, {
    method,
    body: method === 'POST' ? body : undefined,
    headers: {
      'Neon-Connection-String': embeddedUrl,
      'Neon-Array-Mode': 'true',
      'Neon-Raw-Text-Output': 'true',
      ...headers,
    },
  })
}

async function expectStillServing(url = embeddedUrl) {
  expect(await connect(url)`SELECT 1::int AS one`).toEqual([{ one: 1 }])
}

describe('the gateway under bad input', () => {
  it('answers any path but /sql with the JSON string Neon gives', async () => {
    const response = await fetch(new URL('/other', sqlEndpoint), { method: 'POST', body: '{}' })
    expect(response.status).toBe(400)
    expect(await response.json()).toBe('query is not supported')
  })

  it('refuses a browser (any Origin header), with no CORS header, even to a preflight', async () => {
    for (const method of ['POST', 'OPTIONS']) {
      const response = await post('{"query": "SELECT 1"}', { origin: 'https://evil.example' }, method)
      expect(response.status).toBe(403)
      expect(response.headers.get('access-control-allow-origin')).toBeNull()
    }
    await expectStillServing()
  })

  it('refuses a request addressed to a foreign host name (DNS rebinding)', async () => {
    // fetch never lets a caller set Host, so this one goes out through node:http.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(sqlEndpoint, {
        method: 'POST',
        headers: { host: 'attacker.example', 'neon-connection-string': embeddedUrl },
      })
      request.on('response', (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      })
      request.on('error', reject)
      request.end('{"query": "SELECT 1"}')
    })
    expect(status).toBe(403)
  })

  it('refuses malformed JSON with a parse error and keeps serving', async () => {
    const response = await post('{"query": ')
    expect(response.status).toBe(400)
    const body = await response.json()
    expect(body.message).toMatch(/^could not parse the HTTP request body: /)
    expect(body).toMatchObject({ code: '', severity: '', detail: null })
    await expectStillServing()
  })

  it.each([
    ['a number as the query', '{"query": 1}'],
    ['params that are not an array', '{"query": "SELECT 1", "params": "x"}'],
    ['a batch entry without a query', '{"queries": [{"params": []}]}'],
    ['a JSON array as the body', '[1, 2]'],
    ['an arrayMode that is not a boolean', '{"query": "SELECT 1", "arrayMode": "yes"}'],
  ])('refuses a body with %s', async (_, body) => {
    const response = await post(body)
    expect(response.status).toBe(400)
    expect((await response.json()).message).toMatch(/^could not parse the HTTP request body: /)
  })

  it('refuses a request without a connection string', async () => {
    const response = await fetch(sqlEndpoint, { method: 'POST', body: '{"query": "SELECT 1"}' })
    expect(response.status).toBe(400)
    expect((await response.json()).message).toBe('invalid header: neon-connection-string')
  })

  it.each([
    ['mysql://u@h/db', 'incorrect scheme'],
    ['postgresql://pglite.localhost/db', 'missing username'],
    ['postgresql://u@pglite.localhost', 'missing database name'],
    ['not a url', 'invalid header: neon-connection-string'],
    ['postgresql://a%zz@pglite.localhost/x', 'invalid header: neon-connection-string'],
  ])('refuses the connection string %s', async (connectionString, message) => {
    const response = await post('{"query": "SELECT 1"}', { 'Neon-Connection-String': connectionString })
    expect(response.status).toBe(400)
    expect((await response.json()).message).toBe(message)
  })

  it('refuses an isolation level Neon does not know', async () => {
    const response = await post('{"queries": [{"query": "SELECT 1", "params": []}]}', {
      'Neon-Batch-Isolation-Level': 'Chaos',
    })
    expect(response.status).toBe(400)
    expect((await response.json()).message).toBe('invalid isolation level')
  })

  it('answers 413 to a body over 10 MiB and keeps serving', async () => {
    const response = await post(
      JSON.stringify({ query: 'SELECT $1', params: ['x'.repeat(11 * 1024 * 1024)] }),
    )
    expect(response.status).toBe(413)
    expect((await response.json()).message).toBe('request is too large (max is 10485760 bytes)')
    await expectStillServing()
  })

  it('answers an unreachable Postgres with a 500 and keeps serving', async () => {
    const response = await post('{"query": "SELECT 1"}', {
      'Neon-Connection-String': 'postgresql://postgres@127.0.0.1:1/nowhere',
    })
    expect(response.status).toBe(500)
    expect((await response.json()).message).toMatch(/connect/i)
    await expectStillServing()
  })
})

describe.each(backends)('the gateway with concurrent and abandoned requests on $name', ({ url }) => {
  const sql = connect(url)

  it('never lets two batches interleave: each sees its own consecutive counter values', async () => {
    const table = uniqueName('counter')
    await sql.query(`CREATE TABLE ${table} (v int NOT NULL)`)
    await sql.query(`INSERT INTO ${table} VALUES (0)`)
    const bump = () => sql.query(`UPDATE ${table} SET v = v + 1 RETURNING v`)
    const batches = Array.from({ length: 12 }, () =>
      sql.transaction([bump(), sql.query('SELECT pg_sleep(0.005)'), bump()]),
    )
    const pairs = (await Promise.all(batches)).map(([first, , second]) => [first?.[0]?.v, second?.[0]?.v])
    for (const [first, second] of pairs) expect(second).toBe((first as number) + 1)
    expect(new Set(pairs.map(([first]) => first)).size).toBe(12)
    await sql.query(`DROP TABLE ${table}`)
  })

  it('skips or cancels a statement whose client gave up, and keeps serving', async () => {
    const table = uniqueName('abandoned')
    await sql.query(`CREATE TABLE ${table} (v int)`)
    const slow = sql.query('SELECT pg_sleep(1)', [], { fetchOptions: { signal: AbortSignal.timeout(100) } })
    // Queued behind the sleep on PGlite; cancelled along with it on Postgres: either way it must never commit.
    const abandoned = sql.transaction(
      [sql.query(`INSERT INTO ${table} VALUES (1)`), sql.query('SELECT pg_sleep(1)')],
      {
        fetchOptions: { signal: AbortSignal.timeout(200) },
      },
    )
    await expect(slow).rejects.toThrow(/abort/i)
    await expect(abandoned).rejects.toThrow(/abort/i)
    expect(await sql.query(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 0 }])
    await sql.query(`DROP TABLE ${table}`)
  })
})
