/** Text Postgres cannot store (a NUL) is the client's mistake: a 400 problem, never a 500; values never reach logs. */
import { describe, expect, it } from 'vitest'
import { withoutQueryParameters } from '../../edge/middleware/access-log'
import { asNewAdmin, createTestApp } from './support'

const { app, logs } = createTestApp()
const admin = asNewAdmin(app)

describe('a NUL character in the input', () => {
  it.each([
    ['a search term', () => admin.request('/api/users?q=%00')],
    ['a search term inside other text', () => admin.request('/api/users?q=ab%00cd')],
  ])('in %s is answered 400 invalid-text', async (_, send) => {
    const response = await send()
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(((await response.json()) as { type: string }).type).toBe('/problems/invalid-text')
    expect(logs.some((entry) => entry.status === 500)).toBe(false)
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
