/**
 * The response checker that every API test and the e2e suite run each answer through (test/support): it accepts
 * what the document describes and names each departure. Hand-made answers, checked against the app's real document.
 */
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../../edge/openapi-document'
import {
  createResponseChecker,
  type ObservedResponse,
  type OpenApiDocument,
} from '../support/openapi-responses'
import { createTestApp } from './support'

const { app } = createTestApp()
const checker = createResponseChecker(openApiDocument(app) as unknown as OpenApiDocument)

const user = {
  id: 7,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  role: 'user',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}

function answer(
  method: string,
  path: string,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): ObservedResponse {
  const problem = status >= 400
  return {
    method,
    path,
    status,
    headers: new Headers({
      'X-Request-Id': 'r-1',
      ...(body === undefined
        ? {}
        : { 'Content-Type': problem ? 'application/problem+json' : 'application/json' }),
      ...headers,
    }),
    body: body === undefined ? '' : JSON.stringify(body),
  }
}

const problemOf = (status: number, slug: string) => ({
  type: `/problems/${slug}`,
  title: 'Title',
  status,
  detail: 'Detail.',
  instance: '/api/x',
  requestId: 'r-1',
})

describe('the response checker', () => {
  it('accepts answers the document describes, a null user of GET /api/auth/me among them', () => {
    const accepted = [
      answer('GET', '/api/users/7', 200, user),
      answer('GET', '/api/auth/me', 200, { userId: '7', role: 'user', user }),
      answer('GET', '/api/auth/me', 200, { userId: '7', role: 'user', user: null }),
      answer('DELETE', '/api/users/7', 204),
      answer('HEAD', '/api/users/7', 200, undefined, { 'Content-Type': 'application/json' }),
      answer('PUT', '/api/users', 405, problemOf(405, 'method-not-allowed'), { Allow: 'GET, HEAD, POST' }),
      answer('GET', '/api/nothing', 404, problemOf(404, 'not-found')),
      answer('GET', '/api/nothing', 401, problemOf(401, 'unauthorized'), { 'WWW-Authenticate': 'Bearer' }),
      answer('POST', '/api/auth/login', 429, problemOf(429, 'too-many-login-attempts'), {
        'Retry-After': '60',
      }),
    ]
    for (const observed of accepted) expect(checker.check(observed), observed.path).toEqual([])
  })

  it('names each departure: status, media type, body, bounds, formats and required headers', () => {
    const refused: [ObservedResponse, RegExp][] = [
      [answer('GET', '/api/hello', 404, problemOf(404, 'not-found')), /status 404 is not documented/],
      [answer('GET', '/api/users/7', 200, { ...user, id: 0 }), /body\/id must be >= 1/],
      [answer('GET', '/api/users/7', 200, { ...user, id: 2_147_483_648 }), /body\/id must be <= 2147483647/],
      [
        answer('GET', '/api/users/7', 200, { ...user, email: 'not an email' }),
        /body\/email must match pattern/,
      ],
      [
        answer('GET', '/api/users/7', 200, { ...user, role: undefined }),
        /must have required property 'role'/,
      ],
      [
        answer('GET', '/api/users/7', 200, user, { 'Content-Type': 'text/plain' }),
        /is text\/plain, where the document says application\/json/,
      ],
      [
        answer('DELETE', '/api/users/7', 204, { deleted: true }),
        /has a body, where the document describes none/,
      ],
      [
        { ...answer('DELETE', '/api/users/7', 204), headers: new Headers() },
        /lacks the required header X-Request-Id/,
      ],
      [
        answer('PUT', '/api/users', 405, problemOf(405, 'method-not-allowed')),
        /lacks the required header Allow/,
      ],
      [answer('PUT', '/api/users', 500, problemOf(500, 'internal-error')), /no operation matches/],
      [
        answer('GET', '/api/users', 401, problemOf(401, 'unauthorized')),
        /lacks the required header WWW-Authenticate/,
      ],
      [
        answer('POST', '/api/auth/login', 429, problemOf(429, 'too-many-login-attempts'), {
          'Retry-After': 'soon',
        }),
        /header Retry-After \(soon\): value must be integer/,
      ],
    ]
    for (const [observed, expected] of refused) {
      const problems = checker.check(observed)
      expect(problems, `${observed.method} ${observed.path} ${observed.status}`).toEqual([
        expect.stringMatching(expected),
      ])
    }
  })
})
