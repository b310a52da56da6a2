/**
 * `/account`: your own profile, read as `GET /api/auth/me` reads it (in-process, one round trip); change your name,
 * password or email (confirmed by a link to the new address), log out, or delete your account (after a confirmation
 * step, `?delete=me`, that needs no script).
 */
import type { Metadata } from 'next'
import { redirect } from 'next/navigation'
import { logInThenReturnTo } from '@/edge/auth/gate'
import { FormField } from '../form-field'
import { OutcomeMessage, readOutcome } from '../outcome'
import { type PageQuery, queryValue } from '../page-query'
import { viewPage } from '../page-view'
import { SiteHeader } from '../site-header'

export const runtime = 'edge'
export const metadata: Metadata = { title: 'Your account' }

export default async function AccountPage({ searchParams }: { searchParams: Promise<PageQuery> }) {
  const query = await searchParams
  const view = await viewPage('/account')
  // middleware.ts sends a visitor without a session to log in before this page runs; this is the same rule.
  if (!view.identity) redirect(logInThenReturnTo('/account'))
  const { account: user, problem } = view
  const outcome = await readOutcome(query, '/account')

  return (
    <>
      <SiteHeader view={view} />
      <main>
        <h1>Your account</h1>
        <OutcomeMessage outcome={outcome} />
        {problem ? <p role="alert">{problem.detail}</p> : null}
        {user ? (
          <>
            <dl className="profile">
              <dt>Name</dt>
              <dd id="profile-name">{user.name}</dd>
              <dt>Email</dt>
              <dd>{user.email}</dd>
              <dt>Role</dt>
              <dd>{user.role}</dd>
              <dt>Member since</dt>
              <dd>
                <time dateTime={user.createdAt}>{user.createdAt.slice(0, 10)}</time>
              </dd>
            </dl>
            <form method="post" action="/account/submit" noValidate aria-labelledby="change-name">
              <h2 id="change-name">Change your name</h2>
              <input type="hidden" name="id" value={user.id} />
              <FormField
                id="name"
                name="name"
                label="Name"
                type="text"
                autoComplete="name"
                defaultValue={queryValue(query, 'name') ?? user.name}
                error={outcome.fieldErrors.name}
              />
              <button type="submit" name="intent" value="rename">
                Save name
              </button>
            </form>
            <form method="post" action="/account/submit" noValidate aria-labelledby="change-password">
              <h2 id="change-password">Change your password</h2>
              <FormField
                id="currentPassword"
                name="currentPassword"
                label="Current password"
                type="password"
                autoComplete="current-password"
                error={outcome.fieldErrors.currentPassword}
              />
              <FormField
                id="newPassword"
                name="newPassword"
                label="New password"
                type="password"
                autoComplete="new-password"
                error={outcome.fieldErrors.newPassword}
              />
              <button type="submit" name="intent" value="password">
                Change password
              </button>
            </form>
            <form method="post" action="/account/submit" noValidate aria-labelledby="change-email">
              <h2 id="change-email">Change your email</h2>
              <p>A link goes to the new address; the account keeps its address until you follow it.</p>
              <FormField
                id="newEmail"
                name="newEmail"
                label="New email"
                type="email"
                autoComplete="email"
                defaultValue={queryValue(query, 'newEmail') ?? ''}
                error={outcome.fieldErrors.newEmail}
              />
              <FormField
                id="emailPassword"
                name="emailPassword"
                label="Current password"
                type="password"
                autoComplete="current-password"
                error={outcome.fieldErrors.emailPassword}
              />
              <button type="submit" name="intent" value="email">
                Send the confirmation link
              </button>
            </form>
            <DeleteAccount email={user.email} confirming={queryValue(query, 'delete') === 'me'} />
          </>
        ) : user === null ? (
          <p role="status">
            No account here matches this session ({view.identity.role}): it was deleted, or you signed in
            through an identity provider, where your profile and password live.
          </p>
        ) : null}
        <form method="post" action="/api/auth/logout">
          <h2>Leave</h2>
          <button type="submit">Log out</button>
        </form>
      </main>
    </>
  )
}

/** A link first; the button that deletes only on the confirmation step, with a Cancel back to the page. */
function DeleteAccount({ email, confirming }: { email: string; confirming: boolean }) {
  return (
    <section className={confirming ? 'confirm' : undefined} aria-labelledby="delete-account">
      <h2 id="delete-account">{confirming ? 'Delete your account?' : 'Delete your account'}</h2>
      {confirming ? (
        <form method="post" action="/account/submit">
          <p>
            Your account ({email}) and all its sessions will be deleted, and you will be logged out. This
            cannot be undone.
          </p>
          <button type="submit" name="intent" value="delete">
            Yes, delete my account
          </button>{' '}
          <a href="/account">Cancel</a>
        </form>
      ) : (
        <p>
          <a href="/account?delete=me" className="delete">
            Delete your account…
          </a>
        </p>
      )}
    </section>
  )
}
