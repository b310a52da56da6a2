/** `POST /signup/submit`: the no-JavaScript signup form, handed to the API in-process (see edge/pages/auth-form-posts.ts). */

import { formHandler } from '@/edge/form-site'
import { submitAuthForm } from '@/edge/pages/auth-form-posts'
import { waitUntilAfterResponse } from '../../request-context'

export const runtime = 'edge'

// Every other method Next dispatches gets a 405 problem with Allow: POST, not Next's empty 405.
export { DELETE, GET, HEAD, OPTIONS, PATCH, PUT } from '@/edge/pages/post-only'

// Calls the API in-process; traced when OTEL_* say so (edge/form-site.ts).
export const POST = formHandler(
  '/signup/submit',
  (site, request) => submitAuthForm(site, 'signup', request),
  waitUntilAfterResponse,
)
