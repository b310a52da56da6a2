import { describe, expect, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { createTestApp, type ProblemBody, signTestToken, testConfig, withToken } from './support'

/** A real client whose every request fails as if the network were down (the fetch is aborted before it starts). */
function unreachableDatabase() {
  const config = testConfig()
  return createDatabase({
    databaseUrl: config.databaseUrl,
    localSqlEndpoint: config.localSqlEndpoint,
    fetchOptions: { signal: AbortSignal.abort() },
  })
}

describe('GET /api/health', () => {
  it('answers 200 with the database status and round-trip time', async () => {
    const { app } = createTestApp()
    const response = await app.request('/api/health')
    expect(response.status).toBe(200)
    const body = (await response.json()) as {
      status: string
      database: { status: string; roundTripMs: number }
    }
    expect(body).toEqual({ status: 'ok', database: { status: 'up', roundTripMs: expect.any(Number) } })
    expect(body.database.roundTripMs).toBeGreaterThan(0)
  })

  it('answers a 503 problem with Retry-After when the database is unreachable', async () => {
    const { app, logs } = createTestApp({ db: unreachableDatabase() })
    const response = await app.request('/api/health')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('5')
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(await response.json()).toMatchObject({ type: '/problems/database-unavailable', status: 503 })
    expect(logs.at(-1)).toMatchObject({
      level: 'error',
      status: 503,
      error: { cause: expect.stringMatching(/connecting/) },
    })
  })
})

describe('unexpected errors', () => {
  it('answer 500 without internals and log the cause with the request id', async () => {
    const { app, logs } = createTestApp({ db: unreachableDatabase() })
    // Signed in without the database (which is down): a token signed with the app's secret is all it takes.
    const client = withToken(app, () => signTestToken({ userId: '1', role: 'user' }))
    const response = await client.request('/api/users', { headers: { 'X-Request-Id': 'boom-1' } })
    expect(response.status).toBe(500)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    const text = await response.text()
    const problem = JSON.parse(text) as ProblemBody
    expect(problem).toMatchObject({ type: '/problems/internal-error', status: 500, requestId: 'boom-1' })
    expect(text).not.toMatch(/select|failed query|abort|stack|neon|drizzle/i)
    expect(logs.at(-1)).toMatchObject({
      level: 'error',
      requestId: 'boom-1',
      status: 500,
      error: {
        message: expect.stringMatching(/Failed query/),
        cause: expect.stringMatching(/NeonDbError: Error connecting/),
      },
    })
  })
})
