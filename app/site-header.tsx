/** The navigation on every page: where to go, and who is signed in (with a log-out button that needs no script). */
import { headers } from 'next/headers'
import { readIdentityHeaders } from '@/edge/auth/credentials'
import { readSignedInAccount } from './signed-in-account'

export async function SiteHeader() {
  const requestHeaders = await headers()
  const identity = readIdentityHeaders(requestHeaders)
  // The name and email: the token carries only the id and role. None for a subject of the identity provider with no
  // account here, or when the database cannot answer: the header then names the id, and the page says what failed.
  const account = identity ? (await readSignedInAccount())?.user : undefined
  return (
    <header className="site-header">
      <nav aria-label="Main">
        <a href="/">Edgeline</a>
        <a href="/users">Users</a>
        <a href="/account">Account</a>
        <a href="/api/docs">API docs</a>
      </nav>
      {identity ? (
        <form method="post" action="/api/auth/logout" className="session">
          <span id="signed-in-as">
            Signed in as{' '}
            {account ? (
              <strong title={account.email}>{account.name}</strong>
            ) : (
              <strong>user {identity.userId}</strong>
            )}{' '}
            ({identity.role})
          </span>{' '}
          <button type="submit">Log out</button>
        </form>
      ) : (
        <p className="session">
          <a href="/login">Log in</a> · <a href="/signup">Sign up</a>
        </p>
      )}
    </header>
  )
}
