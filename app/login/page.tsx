/** `/login`: where signed-out visitors are sent (`?next=` brings them back), and where the session starts. */
import type { Metadata } from 'next'
import { AuthPage } from '../auth-form'
import type { PageQuery } from '../page-query'

export const runtime = 'edge'
export const metadata: Metadata = { title: 'Log in' }

export default function LoginPage({ searchParams }: { searchParams: Promise<PageQuery> }) {
  return <AuthPage form="login" searchParams={searchParams} />
}
