/** `POST /users/submit`: the `/users` page's forms, handed to the Users API in-process (edge/pages/users-form-posts.ts). */
import { site } from '@/edge'
import { submitUsersForm } from '@/edge/pages/users-form-posts'

export const runtime = 'edge'

export function POST(request: Request): Promise<Response> {
  return submitUsersForm(site, request)
}
