/** The API as a server-rendered page sees it: the typed client, over HTTP to this very site, as the browser that asked. */
import { hc } from 'hono/client'
import type { AppType } from '../app-type'
import { config } from '../config'

/**
 * `hc<AppType>` (the same typed client API consumers use), so the page cannot drift from the API's types, for
 * PAGES_API_ORIGIN when set (the production server sets its own loopback address), else the origin the browser
 * asked. Over HTTP rather than in-process: a page then bundles the client (a few KiB) instead of the whole API
 * (decision 0021). Only the browser's cookie travels, so the API authenticates it as it would the browser; nothing
 * is cached and no redirect is followed.
 */
export function pageApi(
  browserHeaders: Headers,
  fetcher: typeof fetch = fetch,
  origin = config.pagesApiOrigin ?? siteOrigin(browserHeaders),
) {
  const cookie = browserHeaders.get('cookie')
  return hc<AppType>(origin, {
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      fetcher(input, { ...init, cache: 'no-store', redirect: 'manual' }),
    headers: cookie ? { cookie } : {},
  })
}

/**
 * The origin the browser asked for: its Host, and the scheme a proxy in front says it used. The middleware has let
 * the request through, so the Host is one this deployment answers (a development server checks it by name).
 */
export function siteOrigin(headers: Headers): string {
  const scheme = headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : 'http'
  return `${scheme}://${headers.get('host') ?? 'localhost'}`
}
