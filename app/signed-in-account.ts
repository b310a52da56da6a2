/** `GET /api/auth/me` for the page being rendered, asked once however many components need it. */
import { headers } from 'next/headers'
import { cache } from 'react'
import { pageApi } from '@/edge/pages/page-api'

/**
 * The answer of `GET /api/auth/me` (the typed client, edge/pages/page-api.ts) as the browser's session sees it, or
 * undefined when it is not a 200. React's `cache` keeps one per request: the site header and `/account` both ask,
 * and each ask is an HTTP request through the middleware and a database round trip.
 */
export const readSignedInAccount = cache(async () => {
  const answer = await pageApi(await headers()).api.auth.me.$get()
  return answer.status === 200 ? await answer.json() : undefined
})
