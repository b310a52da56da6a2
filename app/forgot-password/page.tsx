/** `/forgot-password`: asks for a link to choose a new password (linked from /login). */
import type { Metadata } from 'next'
import { ForgotPasswordPage } from '../account-link-forms'
import type { PageQuery } from '../page-query'

export const runtime = 'edge'
export const metadata: Metadata = { title: 'Forgot your password' }

export default function Page({ searchParams }: { searchParams: Promise<PageQuery> }) {
  return <ForgotPasswordPage searchParams={searchParams} />
}
