/**
 * The pages of the emailed links: ask for a reset link, choose a password (from a reset link or an invitation),
 * confirm a new email address. Plain HTML forms that post without JavaScript, like the log-in page.
 */
import type { ReactNode } from 'react'
import { FormField } from './form-field'
import { OutcomeMessage, readOutcome } from './outcome'
import { type PageQuery, queryValue } from './page-query'
import { viewPage } from './page-view'
import { SiteHeader } from './site-header'

async function LinkPage({ route, title, children }: { route: string; title: string; children: ReactNode }) {
  // No data of its own: only the header's account, for a visitor who is already signed in.
  const view = await viewPage(route)
  return (
    <>
      <SiteHeader view={view} />
      <main>
        <h1>{title}</h1>
        {children}
      </main>
    </>
  )
}

export async function ForgotPasswordPage({ searchParams }: { searchParams: Promise<PageQuery> }) {
  const query = await searchParams
  const outcome = await readOutcome(query, '/forgot-password')
  return (
    <LinkPage route="/forgot-password" title="Forgot your password?">
      <p>Enter the email address of your account: we will mail you a link to choose a new password.</p>
      <form method="post" action="/forgot-password/submit" noValidate>
        <OutcomeMessage outcome={outcome} />
        <FormField
          id="email"
          name="email"
          label="Email"
          type="email"
          autoComplete="email"
          defaultValue={queryValue(query, 'email')}
          error={outcome.fieldErrors.email}
        />
        <button type="submit">Mail me a link</button>
      </form>
      <p>
        Remembered it? <a href="/login">Log in</a>
      </p>
    </LinkPage>
  )
}

export async function ResetPasswordPage({ searchParams }: { searchParams: Promise<PageQuery> }) {
  const query = await searchParams
  const token = queryValue(query, 'token') ?? ''
  const invited = queryValue(query, 'invited') === '1'
  const outcome = await readOutcome(query, '/reset-password')
  return (
    <LinkPage
      route="/reset-password"
      title={invited ? 'Welcome: choose your password' : 'Choose a new password'}
    >
      {token === '' ? (
        <p role="alert" id="form-error">
          This page needs the link from your email. <a href="/forgot-password">Ask for a new one</a>.
        </p>
      ) : (
        <form method="post" action="/reset-password/submit" noValidate>
          <OutcomeMessage outcome={outcome} />
          <input type="hidden" name="token" value={token} />
          {invited ? <input type="hidden" name="invited" value="1" /> : null}
          <FormField
            id="newPassword"
            name="newPassword"
            label="New password (8 characters or more)"
            type="password"
            autoComplete="new-password"
            error={outcome.fieldErrors.newPassword ?? outcome.fieldErrors.token}
          />
          <button type="submit">{invited ? 'Set my password' : 'Change my password'}</button>
        </form>
      )}
      <p>
        Link expired? <a href="/forgot-password">Ask for a new one</a>
      </p>
    </LinkPage>
  )
}

export async function VerifyEmailPage({ searchParams }: { searchParams: Promise<PageQuery> }) {
  const query = await searchParams
  const token = queryValue(query, 'token') ?? ''
  const outcome = await readOutcome(query, '/verify-email')
  return (
    <LinkPage route="/verify-email" title="Confirm your new email address">
      {/* A button, not the link itself: mail scanners open links, and must not make the change. */}
      <form method="post" action="/verify-email/submit">
        <OutcomeMessage outcome={outcome} />
        <input type="hidden" name="token" value={token} />
        <button type="submit">Use this address for my account</button>
      </form>
    </LinkPage>
  )
}
