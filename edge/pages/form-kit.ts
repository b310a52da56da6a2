/**
 * What every no-JavaScript form post shares: the same-origin check, calling the API in-process as the browser that
 * posted, and the 303 back to a page, with the API's problem (detail and field errors) in the page's query.
 * Server Actions are not used for these forms: on the edge runtime a no-JS action that redirects answers 500
 * (Next 16.4; decision 0011).
 */

import { readIdentityHeaders } from '../auth/credentials'
import { requestIdOf } from '../auth/gate'
import { type Problem, problemResponse, problems } from '../problem'
import { isSameOrigin, sameSitePath } from '../same-origin'
import { ANONYMOUS_VIEWER, type OutcomeSeal } from './outcome-seal'

export { isSameOrigin, sameSitePath }

/** Anything that answers requests as the Hono app does (`app.request`). */
export interface InProcessApi {
  request(input: string | Request, init?: RequestInit): Response | Promise<Response>
}

/**
 * A form handler's answer to any method but POST: a 405 problem with `Allow: POST`. Each handler exports it for
 * every other method Next dispatches, since Next's own answer to a method a route file does not export is an
 * empty 405 (and its OPTIONS a 204).
 */
export function refuseAllButPost(request: Request): Response {
  return refusal(request, problems.methodNotAllowed(request.method, ['POST']))
}

/** A form handler's refusal, as the API answers it: `application/problem+json` with the request's id. */
function refusal(request: Request, problem: Problem): Response {
  return problemResponse(problem, {
    instance: new URL(request.url).pathname,
    requestId: requestIdOf(request.headers),
  })
}

/** Far more than any of our forms sends; a bigger body is not a person filling in a form. */
export const MAX_FORM_BYTES = 64 * 1024

/**
 * The posted form, or undefined when its body is larger than `limit` (checked as it streams in, so a huge body is
 * never held in memory). A body that is not a form reads as an empty one: every field then fails the API's rules.
 */
export async function readForm(request: Request, limit = MAX_FORM_BYTES): Promise<FormData | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) return undefined
  const chunks: Uint8Array<ArrayBuffer>[] = []
  let size = 0
  if (request.body) {
    const reader = request.body.getReader()
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      size += read.value.byteLength
      if (size > limit) {
        await reader.cancel()
        return undefined
      }
      chunks.push(read.value)
    }
  }
  const body = new Blob(chunks)
  const headers = { 'content-type': request.headers.get('content-type') ?? '' }
  return new Response(body, { headers }).formData().catch(() => new FormData())
}

/**
 * The checks every form handler starts with: a post from another site gets 403 (CSRF) before its body is read, and
 * a body over MAX_FORM_BYTES gets 413. Otherwise the posted form.
 */
export async function receiveForm(request: Request): Promise<{ data: FormData } | { refusal: Response }> {
  // The API's own answer to a cross-site form post (POST /api/auth/logout), word for word.
  if (!isSameOrigin(request))
    return { refusal: refusal(request, problems.forbidden('Cross-site form posts are refused.')) }
  const data = await readForm(request)
  return data ? { data } : { refusal: refusal(request, problems.payloadTooLarge(MAX_FORM_BYTES)) }
}

/**
 * Calls the API in-process on behalf of the browser that posted `request`: its session cookie, client address and
 * scheme travel along (the absolute URL and `X-Forwarded-Proto`), so cookies are Secure exactly when it used https.
 */
export function callApiAs(
  api: InProcessApi,
  request: Request,
  path: string,
  init: { method: string; json?: unknown },
): Promise<Response> {
  const headers = new Headers()
  // The trace context too: the API's span of a form post continues the browser's (or the platform's) trace.
  for (const name of [
    'cookie',
    'x-forwarded-for',
    'x-real-ip',
    'x-forwarded-proto',
    'traceparent',
    'tracestate',
  ]) {
    const value = request.headers.get(name)
    if (value) headers.set(name, value)
  }
  if (init.json !== undefined) headers.set('content-type', 'application/json')
  return Promise.resolve(
    api.request(new URL(path, request.url).href, {
      method: init.method,
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    }),
  )
}

export interface FormProblem {
  detail: string
  errors: { field: string; detail: string }[]
}

/** A problem of our own wording, with no field errors. */
export function plainProblem(detail: string): FormProblem {
  return { detail, errors: [] }
}

/**
 * What a page says at its top for the API's problems that are worded for programs ("see errors", status words,
 * request ids): a person filling in a form. The others' details already read well (a wrong password, a throttle's
 * end, a refusal's reason) and are shown as the API words them; field errors stay the API's, beside each field.
 */
export const PAGE_WORDS: Readonly<Record<string, string>> = {
  '/problems/validation-failed': 'Some of what you entered needs fixing: see the note beside each field.',
  '/problems/invalid-text':
    'What you entered contains characters that cannot be stored (such as invisible control characters); ' +
    'remove them and try again.',
  '/problems/payload-too-large': 'What you entered is too long to send.',
  '/problems/email-taken': 'Another account already uses this email address.',
  '/problems/database-unavailable': 'The database is not answering right now; try again in a moment.',
  '/problems/database-timeout':
    'The database took too long to answer. Try again in a moment, after checking whether the change was made.',
  '/problems/internal-error':
    'Something went wrong on our side; try again, and tell us if it keeps happening.',
}

/** The problem+json of a failed API answer, in a person's words where the API's are a program's. */
export async function readProblem(answer: Response): Promise<FormProblem> {
  const body = (await answer.json().catch(() => ({}))) as Partial<FormProblem> & { type?: unknown }
  const ours = typeof body.type === 'string' ? PAGE_WORDS[body.type] : undefined
  return {
    detail: ours ?? body.detail ?? 'Something went wrong; try again.',
    errors: Array.isArray(body.errors) ? body.errors : [],
  }
}

/** The form's fields as strings (a missing one is ''), ready to send as JSON. */
export function fieldsOf(data: FormData, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, String(data.get(name) ?? '')]))
}

/**
 * The page a form came from, with the outcome for the page to show: `notice` on success, or `error` and
 * `field.<name>` errors, plus what was typed (`kept`, never a password) so nothing has to be typed twice.
 */
export function pageWithOutcome(
  page: string,
  outcome: { notice: string } | { problem: FormProblem; kept?: Record<string, string> },
): URL {
  const url = new URL(page, 'http://same.site')
  for (const name of ['notice', 'error', 't', 'sig']) url.searchParams.delete(name)
  for (const name of [...url.searchParams.keys()]) {
    if (name.startsWith('field.')) url.searchParams.delete(name)
  }
  if ('notice' in outcome) {
    url.searchParams.set('notice', outcome.notice)
    return url
  }
  url.searchParams.set('error', outcome.problem.detail)
  for (const error of outcome.problem.errors) url.searchParams.set(`field.${error.field}`, error.detail)
  for (const [name, value] of Object.entries(outcome.kept ?? {})) {
    if (value) url.searchParams.set(name, value)
  }
  return url
}

/** What the form handlers need: the API to call in-process, and the seal for the outcomes they send back. */
export interface FormSite {
  api: InProcessApi
  seal: OutcomeSeal
}

/** The viewer a signed-in user is, for sealing outcomes. */
export function userViewer(userId: string): string {
  // Prefixed, so no subject (an identity provider's may be any string) can pass for the anonymous visitor.
  return `user:${userId}`
}

/** Who a page's outcome is sealed for: the user `middleware.ts` verified, or the anonymous visitor. */
export function viewerOf(headers: Headers): string {
  const identity = readIdentityHeaders(headers)
  return identity ? userViewer(identity.userId) : ANONYMOUS_VIEWER
}

type PageOutcome = Parameters<typeof pageWithOutcome>[1]

/** A 303 back to `page` with the sealed outcome, for the same viewer as the post's (see outcome-seal.ts). */
export function backToPage(
  site: FormSite,
  request: Request,
  page: string,
  outcome: PageOutcome,
  cookies: string[] = [],
): Promise<Response> {
  return sendToPage(site, page, outcome, viewerOf(request.headers), cookies)
}

/**
 * A 303 to `page` with the outcome sealed for `viewer`: who the browser will be once it follows, when the post
 * changed that (a sign-up signs in, deleting your account signs out).
 */
export async function sendToPage(
  site: FormSite,
  page: string,
  outcome: PageOutcome,
  viewer: string,
  cookies: string[] = [],
): Promise<Response> {
  const url = pageWithOutcome(page, outcome)
  await site.seal.seal(url, viewer)
  return seeOther(url, cookies)
}

/** A 303 to a path on this site (the browser follows it with a GET), passing on the API's cookies. */
export function seeOther(location: URL | string, cookies: string[] = []): Response {
  const url = typeof location === 'string' ? new URL(location, 'http://same.site') : location
  const headers = new Headers({ location: `${url.pathname}${url.search}${url.hash}` })
  for (const cookie of cookies) headers.append('set-cookie', cookie)
  return new Response(null, { status: 303, headers })
}
