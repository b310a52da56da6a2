/** `POST /login/submit`: the no-JavaScript login form, handed to the API in-process (see edge/pages/auth-form-posts.ts). */

import { site } from '@/edge/form-site'
import { submitAuthForm } from '@/edge/pages/auth-form-posts'
import { refuseAllButPost } from '@/edge/pages/form-kit'

export const runtime = 'edge'

// Every other method Next dispatches gets a 405 problem with Allow: POST, not Next's empty 405.
export {
  refuseAllButPost as DELETE,
  refuseAllButPost as GET,
  refuseAllButPost as HEAD,
  refuseAllButPost as OPTIONS,
  refuseAllButPost as PATCH,
  refuseAllButPost as PUT,
}

export function POST(request: Request): Promise<Response> {
  return submitAuthForm(site, 'login', request)
}
