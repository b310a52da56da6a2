/** The page forms' handlers (app/<form>/submit/route.ts), imported as Next imports them: POST only, and say so. */
import { describe, expect, it } from 'vitest'
import * as accountSubmit from '../../app/account/submit/route'
import * as forgotPasswordSubmit from '../../app/forgot-password/submit/route'
import * as loginSubmit from '../../app/login/submit/route'
import * as resetPasswordSubmit from '../../app/reset-password/submit/route'
import * as signupSubmit from '../../app/signup/submit/route'
import * as usersSubmit from '../../app/users/submit/route'
import * as verifyEmailSubmit from '../../app/verify-email/submit/route'
import type { ProblemBody } from './support'

const SITE = 'http://edgeline.test'
/** Every method Next's app routes dispatch; one a route file does not export gets Next's empty 405. */
const NEXT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
type Handler = (request: Request) => Response | Promise<Response>

describe.each([
  ['/login/submit', loginSubmit],
  ['/signup/submit', signupSubmit],
  ['/users/submit', usersSubmit],
  ['/account/submit', accountSubmit],
  ['/forgot-password/submit', forgotPasswordSubmit],
  ['/reset-password/submit', resetPasswordSubmit],
  ['/verify-email/submit', verifyEmailSubmit],
])('the form handler %s', (path, routeModule) => {
  const handlers = routeModule as unknown as Record<string, Handler | undefined>

  it('exports a handler for every method Next dispatches, so Next never answers one itself', () => {
    for (const method of NEXT_METHODS) expect(typeof handlers[method], method).toBe('function')
  })

  it.each(NEXT_METHODS.filter((method) => method !== 'POST'))(
    'answers %s with a 405 problem and Allow: POST',
    async (method) => {
      const handler = handlers[method] as Handler
      const response = await handler(new Request(`${SITE}${path}`, { method }))
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toBe('POST')
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
      const problem = (await response.json()) as ProblemBody
      expect(problem).toMatchObject({ type: '/problems/method-not-allowed', status: 405, instance: path })
      expect(problem.detail).toBe(`${method} is not supported here; use POST.`)
    },
  )
})
