/** The navigation on every page: where to go, and who is signed in (with a log-out button that needs no script). */
import type { PageView } from './page-view'

/**
 * Rendered by each page, with the data the page read for itself: the name and email come from the account row (the
 * token carries only the id and role). None for a subject of the identity provider with no account here, or when
 * the database cannot answer: the header then names the id, and the page says what failed.
 */
export function SiteHeader({ view: { identity, account } }: { view: PageView }) {
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
