/** `POST /account/submit`: the `/account` page's forms (edge/pages/account-form-posts.ts). */
import { site } from '@/edge'
import { submitAccountForm } from '@/edge/pages/account-form-posts'

export const runtime = 'edge'

export function POST(request: Request): Promise<Response> {
  return submitAccountForm(site, request)
}
