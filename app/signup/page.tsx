/** `/signup`: creates an account (role `user`) and signs it in. */
import type { Metadata } from 'next'
import { AuthPage } from '../auth-form'
import type { PageQuery } from '../page-query'

export const runtime = 'edge'
export const metadata: Metadata = { title: 'Sign up' }

export default function SignupPage({ searchParams }: { searchParams: Promise<PageQuery> }) {
  return <AuthPage form="signup" searchParams={searchParams} />
}
