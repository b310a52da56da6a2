/**
 * Seals the outcome a form handler puts in a page's query (notice, error, field errors), so a link cannot make our
 * pages show words of its choosing ("Your account is locked, call …"). A seal names the page, the viewer and the
 * time: it opens only on that page, for the same signed-in user (or the same anonymous visitor), for two minutes.
 */
import { toBase64Url } from '../auth/base64url'

/** What a page shows after a form post; empty when the query carries no valid seal. */
export interface Outcome {
  notice?: string
  error?: string
  /** Field name → the API's message for it. */
  fieldErrors: Record<string, string>
}

export interface OutcomeSeal {
  /** Adds `t` and `sig` to `url` (a page path with its outcome parameters) for `viewer`. */
  seal(url: URL, viewer: string): Promise<void>
  /** The outcome in `params`, when sealed for `page` and `viewer` and still fresh. */
  open(params: URLSearchParams, page: string, viewer: string): Promise<Outcome>
}

/** The parameters a seal covers, and the only ones `open` reads: field names are plain identifiers, as the API's. */
const OUTCOME_PARAMETER = /^(notice|error|field\.[A-Za-z][A-Za-z0-9_]*)$/
/** Clocks of two isolates may disagree by a little: a seal from a few seconds "ahead" still opens. */
const CLOCK_SKEW_SECONDS = 5
const MAX_AGE_SECONDS = 120
/** Who sees a page without a session. */
export const ANONYMOUS_VIEWER = 'anonymous'

/**
 * `secret` is the token secret (JWT_SECRET), used under its own label; without one (JWKS_URL only) a key is made
 * per isolate, so an outcome may then fail to open on another isolate: the page merely shows no message.
 */
export function createOutcomeSeal(secret: string | undefined, clock: () => number = Date.now): OutcomeSeal {
  const keyMaterial = secret
    ? new TextEncoder().encode(`edgeline form outcome\u0000${secret}`)
    : crypto.getRandomValues(new Uint8Array(32))
  const key = crypto.subtle.importKey('raw', keyMaterial, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ])
  const mac = async (page: string, viewer: string, time: string, params: URLSearchParams) => {
    const signed = await crypto.subtle.sign('HMAC', await key, message(page, viewer, time, params))
    return toBase64Url(new Uint8Array(signed))
  }

  return {
    async seal(url, viewer) {
      const time = String(Math.floor(clock() / 1000))
      url.searchParams.set('t', time)
      url.searchParams.set('sig', await mac(url.pathname, viewer, time, url.searchParams))
    },
    async open(params, page, viewer) {
      const time = params.get('t') ?? ''
      const age = Math.floor(clock() / 1000) - Number(time)
      const fresh = /^\d{1,12}$/.test(time) && age >= -CLOCK_SKEW_SECONDS && age <= MAX_AGE_SECONDS
      if (!fresh || !params.has('sig')) return { fieldErrors: {} }
      if (!sameText(params.get('sig') ?? '', await mac(page, viewer, time, params)))
        return { fieldErrors: {} }
      const outcome: Outcome = { fieldErrors: {} }
      for (const [name, value] of params) {
        if (!OUTCOME_PARAMETER.test(name)) continue
        if (name === 'notice') outcome.notice = value
        else if (name === 'error') outcome.error = value
        else if (name.startsWith('field.')) outcome.fieldErrors[name.slice('field.'.length)] = value
      }
      return outcome
    },
  }
}

/** One line per part, each part URI-encoded so no value can pass for a delimiter; outcome parameters sorted. */
function message(
  page: string,
  viewer: string,
  time: string,
  params: URLSearchParams,
): Uint8Array<ArrayBuffer> {
  const outcome = [...params]
    .filter(([name]) => OUTCOME_PARAMETER.test(name))
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .sort()
  return new TextEncoder().encode([page, viewer, time, ...outcome].map(encodeURIComponent).join('\n'))
}

/** Compares in time that depends only on the length, so a forger learns nothing from how fast a guess fails. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let index = 0; index < a.length; index += 1) difference |= a.charCodeAt(index) ^ b.charCodeAt(index)
  return difference === 0
}
