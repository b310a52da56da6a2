/** The log-in and sign-up pages: plain HTML forms that post without JavaScript and show the API's problem details. */
import type { Outcome } from '@/edge/pages/outcome-seal'
import { FormField } from './form-field'
import { OutcomeMessage, readOutcome } from './outcome'
import { type PageQuery, queryValue } from './page-query'
import { viewPage } from './page-view'
import { SiteHeader } from './site-header'

type AuthFormKind = 'login' | 'signup'

const LABELS = { name: 'Name', email: 'Email', password: 'Password' } as const

const PAGES = {
  login: { title: 'Log in', other: 'signup', prompt: 'No account?', otherLabel: 'Sign up' },
  signup: { title: 'Sign up', other: 'login', prompt: 'Already have an account?', otherLabel: 'Log in' },
} as const

/** A whole page: the heading, the form, and a link to the other form that keeps `next`. */
export async function AuthPage({
  form,
  searchParams,
}: {
  form: AuthFormKind
  searchParams: Promise<PageQuery>
}) {
  const query = await searchParams
  const next = queryValue(query, 'next') ?? '/'
  const page = PAGES[form]
  const outcome = await readOutcome(query, `/${form}`)
  // No data of its own: only the header's account, for a visitor who is already signed in.
  const view = await viewPage(`/${form}`)
  return (
    <>
      <SiteHeader view={view} />
      <main>
        <h1>{page.title}</h1>
        {/* The log-out redirect's flag: a fixed text, so no link can make it say anything else. */}
        {query['logged-out'] !== undefined ? (
          <p role="status" id="form-notice" className="notice">
            You are logged out.
          </p>
        ) : null}
        <AuthForm form={form} query={query} outcome={outcome} />
        {form === 'login' ? (
          <p>
            <a href="/forgot-password">Forgot your password?</a>
          </p>
        ) : null}
        <p>
          {page.prompt} <a href={`/${page.other}?next=${encodeURIComponent(next)}`}>{page.otherLabel}</a>
        </p>
      </main>
    </>
  )
}

function AuthForm({ form, query, outcome }: { form: AuthFormKind; query: PageQuery; outcome: Outcome }) {
  const fields =
    form === 'signup' ? (['name', 'email', 'password'] as const) : (['email', 'password'] as const)
  return (
    <form method="post" action={`/${form}/submit`} noValidate>
      <OutcomeMessage outcome={outcome} />
      <input type="hidden" name="next" value={queryValue(query, 'next') ?? '/'} />
      {fields.map((field) => (
        <FormField
          key={field}
          id={field}
          name={field}
          label={LABELS[field]}
          type={field === 'password' ? 'password' : field === 'email' ? 'email' : 'text'}
          autoComplete={
            field === 'password' ? (form === 'signup' ? 'new-password' : 'current-password') : field
          }
          defaultValue={queryValue(query, field)}
          error={outcome.fieldErrors[field]}
        />
      ))}
      <button type="submit">{PAGES[form].title}</button>
    </form>
  )
}
