/** The API as a server-rendered page sees it: the typed client, over HTTP to this very site, as the browser that asked. */
import { hc } from 'hono/client'
import type { AppType } from '../app-type'
import { SITE_ORIGIN_HEADER } from '../auth/credentials'
import { config } from '../config'

/**
 * `hc<AppType>` (the same typed client API consumers use), so the page cannot drift from the API's types, for
 * PAGES_API_ORIGIN when set (the production server sets its own loopback address), else the origin of the server
 * the middleware saw the request reach (never the client's Host: a forged one would aim this request elsewhere).
 * Over HTTP rather than in-process: a page then bundles the client (a few KiB) instead of the whole API (decision
 * 0021). Only the browser's cookie travels, so the API authenticates it as it would the browser; nothing is cached
 * and no redirect is followed.
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

/** The origin middleware.ts recorded for this request; every page is behind it, so its absence is a bug. */
export function siteOrigin(headers: Headers): string {
  const origin = headers.get(SITE_ORIGIN_HEADER)
  if (!origin) throw new Error(`${SITE_ORIGIN_HEADER} is missing: pages must be served behind middleware.ts`)
  return origin
}
