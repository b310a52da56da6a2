/** The API as a server-rendered page sees it: the typed client over the Hono app in-process, as the browser that asked. */
import { hc } from 'hono/client'
import type { AppType } from '../app-type'
import type { InProcessApi } from './form-kit'

/**
 * `hc<AppType>` (the same typed client API consumers use) whose fetch is the app itself: no second HTTP hop, and
 * the page cannot drift from the API's types. Only the browser's cookie travels, so the API authenticates it.
 */
export function pageApi(api: InProcessApi, browserHeaders: Headers) {
  const cookie = browserHeaders.get('cookie')
  return hc<AppType>('http://in-process.local', {
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      api.request(input instanceof Request ? input : String(input), init),
    headers: cookie ? { cookie } : {},
  })
}
