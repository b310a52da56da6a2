/** How a test request travels to the test Worker in workerd and back (test/workerd/). */

/** Carries the original request, as JSON: what a transport would otherwise rewrite (Host, the method, the URL). */
export const REQUEST_HEADER = 'x-edgeline-test-request'
/** Carries back the access log lines the app wrote for the request, as URI-encoded JSON. */
export const LOG_HEADER = 'x-edgeline-test-log'

export interface WrappedRequest {
  url: string
  method: string
  headers: [string, string][]
  hasBody: boolean
  /** The app's configuration, as JSON: the Worker keeps one app per distinct configuration. */
  config: string
}
