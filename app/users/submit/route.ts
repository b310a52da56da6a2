/** `POST /users/submit`: the `/users` page's forms, handed to the Users API in-process (edge/pages/users-form-posts.ts). */

import { formHandler } from '@/edge/form-site'
import { submitUsersForm } from '@/edge/pages/users-form-posts'
import { waitUntilAfterResponse } from '../../request-context'

export const runtime = 'edge'

// Every other method Next dispatches gets a 405 problem with Allow: POST, not Next's empty 405.
export { DELETE, GET, HEAD, OPTIONS, PATCH, PUT } from '@/edge/pages/post-only'

// Calls the API in-process; traced when OTEL_* say so (edge/form-site.ts).
export const POST = formHandler('/users/submit', submitUsersForm, waitUntilAfterResponse)
