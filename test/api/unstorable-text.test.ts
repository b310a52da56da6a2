/** Text Postgres cannot store (a NUL) is the client's mistake: a 400 problem, never a 500; values never reach logs. */

import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { withoutQueryParameters } from '../../edge/middleware/access-log'
import { problemFromError } from '../../edge/problem'
import { asNewAdmin, createTestApp, testDatabase } from './support'

const { app, logs } = createTestApp()
const admin = asNewAdmin(app)

describe('a NUL character in the input', () => {
  // Since decision 0028 a search term follows the names' character rule, so a NUL is refused before any query:
  // a 400 naming q, as a NUL in a name was already a 422 naming the name.
  it.each([
    ['a search term', () => admin.request('/api/users?q=%00')],
    ['a search term inside other text', () => admin.request('/api/users?q=ab%00cd')],
  ])('in %s is answered 400 naming q, never a 500', async (_, send) => {
    const response = await send()
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    const problem = (await response.json()) as { type: string; errors: { field: string }[] }
    expect(problem.type).toBe('/problems/invalid-parameters')
    expect(problem.errors.map((error) => error.field)).toEqual(['q'])
    expect(logs.some((entry) => entry.status === 500)).toBe(false)
  })

  it("is Postgres's 22021 when it reaches the database anyway, which is the invalid-text problem, not a 500", async () => {
    // No input of the API reaches Postgres with a NUL any more: the database's own refusal, provoked directly,
    // keeps the mapping that would catch a new one honest.
    const refusal = await testDatabase()
      .execute(sql`select ${'ab\u0000cd'}::text as value`)
      .then(
        () => undefined,
        (error: unknown) => error,
      )
    expect(refusal).toBeInstanceOf(Error)
    const problem = problemFromError(refusal)
    expect(problem?.type).toBe('/problems/invalid-text')
    expect(problem?.status).toBe(400)
  })

  it('redact only up to the next error of a joined cause chain', () => {
    expect(
      withoutQueryParameters('Error: Failed query: select 1\nparams: a@b.c <- NeonDbError: Error connecting'),
    ).toBe('Error: Failed query: select 1\nparams: [redacted] <- NeonDbError: Error connecting')
  })
})

describe('error log lines', () => {
  it("keep drizzle's failed SQL but never its parameter values", () => {
    const message =
      'Failed query: insert into "users" ("password_hash") values ($1)\nparams: pbkdf2-sha256$100000$salt$hash'
    expect(withoutQueryParameters(message)).toBe(
      'Failed query: insert into "users" ("password_hash") values ($1)\nparams: [redacted]',
    )
  })

  it('redact only up to the next error of a joined cause chain', () => {
    expect(
      withoutQueryParameters('Error: Failed query: select 1\nparams: a@b.c <- NeonDbError: Error connecting'),
    ).toBe('Error: Failed query: select 1\nparams: [redacted] <- NeonDbError: Error connecting')
  })
})
