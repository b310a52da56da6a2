/** What every request must get right before any route reads it: a method we implement and a path that decodes. */
import { type Problem, problems } from './problem'

/**
 * The methods our code can be reached with: the seven that Next's app routes dispatch (Next answers any other with
 * an empty 400 before a handler runs). No path answers another, so another is "not implemented": 501, not 405,
 * whose Allow would have to name the path's methods (decision 0014).
 */
export const IMPLEMENTED_METHODS: readonly string[] = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]

/**
 * The problem with a request's method or path (its pathname as the WHATWG URL parser leaves it, still encoded), or
 * undefined when both are fine. Methods are case-sensitive (RFC 9110 §9.1): `patch` is not `PATCH`.
 */
export function requestLineProblem(method: string, pathname: string): Problem | undefined {
  if (!IMPLEMENTED_METHODS.includes(method)) return problems.methodNotImplemented(method)
  if (!decodes(pathname)) return problems.malformedPath()
  return undefined
}

/**
 * The pathname of a request's URL, still encoded, exactly as `new URL(url).pathname` gives it, without parsing the
 * URL a second time: `Request.url` is already the URL parser's serialization, so the pathname is the text from
 * the first `/` after the authority up to the query or fragment. Once per request in two middleware, a parse each
 * was a measurable share of a small request's time.
 */
export function rawPathname(url: string): string {
  const authority = url.indexOf('//')
  const start = authority < 0 ? -1 : url.indexOf('/', authority + 2)
  // Not a serialized http(s) URL (no authority, or nothing after it): let the parser decide.
  if (start < 0) return new URL(url).pathname
  let end = url.length
  for (let i = start; i < end; i++) {
    const char = url.charCodeAt(i)
    if (char === QUESTION_MARK || char === NUMBER_SIGN) end = i
  }
  return url.slice(start, end)
}

const QUESTION_MARK = 63
const NUMBER_SIGN = 35

/** False for `%zz`, a lone `%`, or escapes of bytes that are not UTF-8: Next's router fails on those with a 500. */
function decodes(pathname: string): boolean {
  try {
    decodeURIComponent(pathname)
    return true
  } catch {
    return false
  }
}
