/** One labelled input of a page form, with the API's message for it beside it (and tied to it for screen readers). */

export interface FormFieldProps {
  /** The element id; the label points at it and the error is `<id>-error`. */
  id: string
  /** The form field's name, as the API knows it. */
  name: string
  label: string
  type: 'text' | 'email' | 'password'
  autoComplete?: string
  /** What the input starts with; never used for passwords. */
  defaultValue?: string
  /** The API's message for this field, from the sealed outcome of the last post. */
  error?: string
}

export function FormField({ id, name, label, type, autoComplete, defaultValue, error }: FormFieldProps) {
  return (
    <p>
      <label htmlFor={id}>{label}</label>
      <br />
      <input
        id={id}
        name={name}
        type={type}
        autoComplete={autoComplete}
        defaultValue={type === 'password' ? undefined : defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        required
      />
      {error ? (
        <small id={`${id}-error`} className="field-error">
          {' '}
          {error}
        </small>
      ) : null}
    </p>
  )
}
