/** The navigation on every page: where to go, and who is signed in (with a log-out button that needs no script). */
import { headers } from 'next/headers'
import { readIdentityHeaders } from '@/edge/auth/credentials'
import { pageApi } from '@/edge/pages/page-api'

export async function SiteHeader() {
  const requestHeaders = await headers()
  const identity = readIdentityHeaders(requestHeaders)
  const account = identity ? await readSignedInAccount(requestHeaders) : undefined
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

/**
 * The signed-in account's name and email, from `GET /api/auth/me` (the typed client, edge/pages/page-api.ts) (one round trip: the token carries
 * only the id and role). Undefined for a subject of the identity provider with no account here, or when the
 * database cannot answer: the header then names the id, and the page itself says what went wrong.
 */
async function readSignedInAccount(requestHeaders: Headers) {
  const answer = await pageApi(requestHeaders).api.auth.me.$get()
  if (answer.status !== 200) return undefined
  const { user } = await answer.json()
  return user ? { name: user.name, email: user.email } : undefined
}
