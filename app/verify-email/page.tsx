/** `/verify-email`: confirms a new email address from the emailed link (`?token=…`). */
import type { Metadata } from 'next'
import { VerifyEmailPage } from '../account-link-forms'
import type { PageQuery } from '../page-query'

export const runtime = 'edge'
export const metadata: Metadata = { title: 'Confirm your email' }

export default function Page({ searchParams }: { searchParams: Promise<PageQuery> }) {
  return <VerifyEmailPage searchParams={searchParams} />
}
