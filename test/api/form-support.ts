/** Page form posts as a browser sends them, for the tests of the no-JS form handlers (edge/pages/*-form-posts.ts). */
import { expect } from 'vitest'
import type { FormSite } from '../../edge/pages/form-kit'
import { createOutcomeSeal } from '../../edge/pages/outcome-seal'
import { type Account, type createTestApp, TEST_JWT_SECRET } from './support'

/** https, as a deployed site is: its cookies go by the __Host-/__Secure- names. */
export const SITE = 'https://edgeline.test'

/** The handlers' view of a test app: the app in-process, and the seal keyed as the app's own would be. */
export function formSiteOf(app: ReturnType<typeof createTestApp>['app']): FormSite {
  return { api: app, seal: createOutcomeSeal(TEST_JWT_SECRET) }
}

/**
 * A form post to `path` from a page of SITE (or of `origin`; null sends none), signed in as `account`: its session
 * cookie, and the identity headers middleware.ts adds after verifying it (the viewer outcomes are sealed for).
 */
export function formPost(
  path: string,
  fields: Record<string, string>,
  account?: Account,
  origin: string | null = SITE,
): Request {
  const body = new FormData()
  for (const [name, value] of Object.entries(fields)) body.set(name, value)
  const headers = new Headers()
  if (origin) headers.set('origin', origin)
  if (account) {
    headers.set('cookie', `__Host-edgeline_session=${account.accessToken}`)
    headers.set('x-edgeline-user-id', String(account.user.id))
    headers.set('x-edgeline-user-role', account.user.role)
  }
  return new Request(`${SITE}${path}`, { method: 'POST', body, headers })
}

/** Where the handler's 303 sends the browser, as a URL whose query the page reads. */
export function landing(response: Response): URL {
  expect(response.status).toBe(303)
  return new URL(response.headers.get('location') ?? '', SITE)
}
