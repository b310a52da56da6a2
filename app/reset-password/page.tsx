/** `/reset-password`: sets a password from an emailed reset link or invitation (`?token=…`). */
import type { Metadata } from 'next'
import { ResetPasswordPage } from '../account-link-forms'
import type { PageQuery } from '../page-query'

export const runtime = 'edge'
export const metadata: Metadata = { title: 'Choose a password' }

export default function Page({ searchParams }: { searchParams: Promise<PageQuery> }) {
  return <ResetPasswordPage searchParams={searchParams} />
}
