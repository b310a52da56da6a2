/** `POST /login/submit`: the no-JavaScript login form, handed to the API in-process (see edge/pages/auth-form-posts.ts). */

import { formHandler } from '@/edge/form-site'
import { submitAuthForm } from '@/edge/pages/auth-form-posts'
import { waitUntilAfterResponse } from '../../request-context'

export const runtime = 'edge'

// Every other method Next dispatches gets a 405 problem with Allow: POST, not Next's empty 405.
export { DELETE, GET, HEAD, OPTIONS, PATCH, PUT } from '@/edge/pages/post-only'

// Calls the API in-process; traced when OTEL_* say so (edge/form-site.ts).
export const POST = formHandler(
  '/login/submit',
  (site, request) => submitAuthForm(site, 'login', request),
  waitUntilAfterResponse,
)
