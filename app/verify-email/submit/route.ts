/** `POST /verify-email/submit`: the no-JavaScript form of /verify-email, handed to the API in-process (edge/pages/account-link-posts.ts). */
import { formHandler } from '@/edge/form-site'
import { submitVerifyEmail } from '@/edge/pages/account-link-posts'
import { waitUntilAfterResponse } from '../../request-context'

export const runtime = 'edge'

// Every other method Next dispatches gets a 405 problem with Allow: POST, not Next's empty 405.
export { DELETE, GET, HEAD, OPTIONS, PATCH, PUT } from '@/edge/pages/post-only'

// Calls the API in-process; traced when OTEL_* say so (edge/form-site.ts).
export const POST = formHandler('/verify-email/submit', submitVerifyEmail, waitUntilAfterResponse)
