/** The outcome of the last form post, as the form handlers put it in the query: a notice, or an error. */
import { type PageQuery, queryValue } from './page-query'

export function Outcome({ query }: { query: PageQuery }) {
  const notice = queryValue(query, 'notice')
  const error = queryValue(query, 'error')
  if (error) {
    return (
      <p role="alert" id="form-error">
        {error}
      </p>
    )
  }
  return notice ? (
    <p role="status" id="form-notice" className="notice">
      {notice}
    </p>
  ) : null
}
