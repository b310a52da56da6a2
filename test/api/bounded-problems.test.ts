/**
 * A validation problem is never much larger than the request that caused it (issue 20, item 1): at most
 * MAX_FIELD_ERRORS field errors, the rest counted in `omittedErrors`, and no client-chosen key echoed in full.
 */
import { describe, expect, it } from 'vitest'
import { MAX_FIELD_ERRORS } from '../../edge/problem'
import { MAX_ECHOED_FIELD_LENGTH, UNKNOWN_FIELD_DETAIL } from '../../edge/validation'
import { asNewAdmin, createTestApp, jsonInit, type ProblemBody, uniqueEmail } from './support'

const { app } = createTestApp()
const admin = asNewAdmin(app)

/** `count` unknown fields named `f0`, `f1`, … beside a valid log-in. */
function loginWithUnknownFields(count: number): string {
  const fields: Record<string, unknown> = { email: uniqueEmail('amplify'), password: 'whatever password' }
  for (let i = 0; i < count; i++) fields[`f${i}`] = 1
  return JSON.stringify(fields)
}

describe('the errors of a 422', () => {
  it('lists the first 20 of 85,000 unknown fields and counts the rest: the answer is a few KiB, not megabytes', async () => {
    const body = loginWithUnknownFields(85_000)
    expect(body.length).toBeGreaterThan(900_000)
    const response = await app.request('/api/auth/login', jsonInit('POST', body))
    expect(response.status).toBe(422)
    const text = await response.text()
    // The bound in bytes: 20 errors of a short field each, far below the request (it was 9.67 MB).
    expect(text.length).toBeLessThan(8 * 1024)
    const problem = JSON.parse(text) as ProblemBody
    expect(problem.type).toBe('/problems/validation-failed')
    expect(problem.errors).toHaveLength(MAX_FIELD_ERRORS)
    expect(problem.errors?.[0]).toEqual({
      field: 'f0',
      in: 'body',
      detail: UNKNOWN_FIELD_DETAIL,
      pointer: '#/f0',
    })
    expect(problem.omittedErrors).toBe(85_000 - MAX_FIELD_ERRORS)
    expect(problem.detail).toBe(`The request body has invalid fields; see errors (the first 20 of 85000).`)
  })

  it('counts the errors of known fields with the unknown ones, the known fields first', async () => {
    const fields: Record<string, unknown> = { name: '', email: 'not-an-email' }
    for (let i = 0; i < 30; i++) fields[`x${i}`] = i
    const response = await admin.request('/api/users', jsonInit('POST', fields))
    expect(response.status).toBe(422)
    const problem = (await response.json()) as ProblemBody
    expect(problem.errors).toHaveLength(MAX_FIELD_ERRORS)
    expect(
      problem.errors
        ?.map((error) => error.field)
        .slice(0, 3)
        .sort(),
    ).toEqual(['email', 'name', 'x0'].sort())
    expect(problem.omittedErrors).toBe(32 - MAX_FIELD_ERRORS)
  })

  it('lists every error, with no omittedErrors, when there are at most 20', async () => {
    const body = loginWithUnknownFields(MAX_FIELD_ERRORS)
    const response = await app.request('/api/auth/login', jsonInit('POST', body))
    const problem = (await response.json()) as ProblemBody
    expect(problem.errors).toHaveLength(MAX_FIELD_ERRORS)
    expect(problem).not.toHaveProperty('omittedErrors')
    expect(problem.detail).toBe('The request body has invalid fields; see errors.')
  })

  it('echoes only the start of a very long unknown key, without a pointer into it', async () => {
    const key = 'k'.repeat(500_000)
    const response = await app.request(
      '/api/auth/login',
      jsonInit('POST', { email: uniqueEmail('longkey'), password: 'whatever password', [key]: 1 }),
    )
    expect(response.status).toBe(422)
    const text = await response.text()
    expect(text.length).toBeLessThan(2 * 1024)
    const problem = JSON.parse(text) as ProblemBody
    expect(problem.errors).toEqual([
      { field: `${'k'.repeat(MAX_ECHOED_FIELD_LENGTH)}…`, in: 'body', detail: UNKNOWN_FIELD_DETAIL },
    ])
  })

  it('is bounded for every JSON body: sign-up, users, password change, refresh', async () => {
    const junk = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`j${i}`, i]))
    const cases: [string, string, { request: (path: string, init?: RequestInit) => Promise<Response> }][] = [
      ['POST', '/api/auth/signup', { request: async (path, init) => app.request(path, init) }],
      ['POST', '/api/auth/refresh', { request: async (path, init) => app.request(path, init) }],
      ['POST', '/api/users', admin],
    ]
    for (const [method, path, client] of cases) {
      const response = await client.request(path, jsonInit(method, junk(1000)))
      expect(response.status, path).toBe(422)
      const problem = (await response.json()) as ProblemBody
      expect(problem.errors?.length, path).toBe(MAX_FIELD_ERRORS)
      expect(problem.omittedErrors, path).toBeGreaterThanOrEqual(1000 - MAX_FIELD_ERRORS)
    }
  })
})

describe('the errors of a 400 for the query string', () => {
  it('are bounded the same way (the document lists them all, so this holds by construction of the same code)', async () => {
    const response = await admin.request('/api/users?limit=0&cursor=nope&q=%E2%80%8F')
    expect(response.status).toBe(400)
    const problem = (await response.json()) as ProblemBody
    expect(problem.type).toBe('/problems/invalid-parameters')
    expect(problem.errors?.map((error) => error.field).sort()).toEqual(['cursor', 'limit', 'q'])
    expect(problem).not.toHaveProperty('omittedErrors')
  })
})
