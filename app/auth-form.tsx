/** The log-in and sign-up form: plain HTML that posts without JavaScript and shows the API's problem details. */

export interface AuthFormProps {
  form: 'login' | 'signup'
  /** The page's query: `next`, `error`, `field.<name>` (field errors) and the values typed before. */
  query: Record<string, string | string[] | undefined>
}

const LABELS = { name: 'Name', email: 'Email', password: 'Password' } as const

export function AuthForm({ form, query }: AuthFormProps) {
  const value = (key: string) => {
    const found = query[key]
    return Array.isArray(found) ? found[0] : found
  }
  const fields =
    form === 'signup' ? (['name', 'email', 'password'] as const) : (['email', 'password'] as const)
  const error = value('error')
  return (
    <form method="post" action={`/${form}/submit`} noValidate>
      {error ? (
        <p role="alert" id="form-error">
          {error}
        </p>
      ) : null}
      <input type="hidden" name="next" value={value('next') ?? '/'} />
      {fields.map((field) => {
        const fieldError = value(`field.${field}`)
        return (
          <p key={field}>
            <label htmlFor={field}>{LABELS[field]}</label>
            <br />
            <input
              id={field}
              name={field}
              type={field === 'password' ? 'password' : field === 'email' ? 'email' : 'text'}
              autoComplete={
                field === 'password' ? (form === 'signup' ? 'new-password' : 'current-password') : field
              }
              defaultValue={field === 'password' ? undefined : value(field)}
              aria-invalid={fieldError ? true : undefined}
              aria-describedby={fieldError ? `${field}-error` : undefined}
              required
            />
            {fieldError ? (
              <small id={`${field}-error`} className="field-error">
                {' '}
                {fieldError}
              </small>
            ) : null}
          </p>
        )
      })}
      <button type="submit">{form === 'signup' ? 'Sign up' : 'Log in'}</button>
    </form>
  )
}
