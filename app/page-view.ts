/** The data of the page being rendered, read in-process in one round trip at most (edge/pages/page-view.ts). */
import { headers } from 'next/headers'
import { pageDatabase, pageReads, pageTracer } from '@/edge/pages/page-database'
import { type PageView, type PageViewRequest, readPageView } from '@/edge/pages/page-view'
import { tracePageView } from '@/edge/telemetry/page-span'
import { waitUntilAfterResponse } from './request-context'

export type { PageView }

/**
 * Each page asks once, for everything it and its header show: so the header's account and `/users`'s list go to the
 * database in the same batch. (A header reading on its own, from the layout, would be a second round trip.)
 */
export async function viewPage(route: string, request: PageViewRequest = {}): Promise<PageView> {
  const requestHeaders = await headers()
  const read = () => readPageView(requestHeaders, pageDatabase, request, pageReads)
  // `route`: the page's route template, for its span (every page here is a fixed path).
  return pageTracer ? tracePageView(pageTracer, route, requestHeaders, read, waitUntilAfterResponse) : read()
}
