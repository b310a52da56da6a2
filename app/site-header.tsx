/** The navigation on every page: where to go, and who is signed in (with a log-out button that needs no script). */
import { headers } from 'next/headers'
import { readIdentityHeaders } from '@/edge/auth/credentials'

export async function SiteHeader() {
  const identity = readIdentityHeaders(await headers())
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
          <span>Signed in as {identity.role === 'admin' ? 'an admin' : 'a user'}</span>{' '}
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
