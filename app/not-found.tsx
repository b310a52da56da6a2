/** Any path no page answers, for a signed-in visitor (the middleware sends others to log in first): a 404 page. */
import type { Metadata } from 'next'
import { headers } from 'next/headers'
import { readIdentityHeaders } from '@/edge/auth/credentials'
import { SiteHeader } from './site-header'

export const metadata: Metadata = { title: 'Not found' }

export default async function NotFound() {
  // Next renders this boundary into the payload of every page, shown or not: reading the account here would cost
  // every page view a second round trip. So it reads nothing, and the header names the signed-in id.
  const identity = readIdentityHeaders(await headers())
  return (
    <>
      <SiteHeader view={{ identity, account: undefined }} />
      <main>
        <h1>Not found</h1>
        <p>
          There is no page at this address. Try <a href="/">the home page</a> or{' '}
          <a href="/users">the users</a>.
        </p>
      </main>
    </>
  )
}
