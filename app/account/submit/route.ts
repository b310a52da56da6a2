/** `POST /account/submit`: the `/account` page's forms and the log-out button (edge/pages/account-form-posts.ts). */
import { app } from '@/edge'
import { submitAccountForm } from '@/edge/pages/account-form-posts'

export const runtime = 'edge'

export function POST(request: Request): Promise<Response> {
  return submitAccountForm(app, request)
}
