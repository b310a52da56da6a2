/** `POST /account/submit`: the `/account` page's forms (edge/pages/account-form-posts.ts). */

import { formHandler } from '@/edge/form-site'
import { submitAccountForm } from '@/edge/pages/account-form-posts'
import { waitUntilAfterResponse } from '../../request-context'

export const runtime = 'edge'

// Every other method Next dispatches gets a 405 problem with Allow: POST, not Next's empty 405.
export { DELETE, GET, HEAD, OPTIONS, PATCH, PUT } from '@/edge/pages/post-only'

// Calls the API in-process; traced when OTEL_* say so (edge/form-site.ts).
export const POST = formHandler('/account/submit', submitAccountForm, waitUntilAfterResponse)
