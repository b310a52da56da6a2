/** `POST /signup/submit`: the no-JavaScript signup form, handed to the API in-process (see edge/pages/auth-form-posts.ts). */
import { site } from '@/edge'
import { submitAuthForm } from '@/edge/pages/auth-form-posts'

export const runtime = 'edge'

export function POST(request: Request): Promise<Response> {
  return submitAuthForm(site, 'signup', request)
}
