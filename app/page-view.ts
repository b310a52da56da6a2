/** The data of the page being rendered, read in-process in one round trip at most (edge/pages/page-view.ts). */
import { headers } from 'next/headers'
import { pageDatabase, pageReads } from '@/edge/pages/page-database'
import { type PageView, type PageViewRequest, readPageView } from '@/edge/pages/page-view'

export type { PageView }

/**
 * Each page asks once, for everything it and its header show: so the header's account and `/users`'s list go to the
 * database in the same batch. (A header reading on its own, from the layout, would be a second round trip.)
 */
export async function viewPage(request: PageViewRequest = {}): Promise<PageView> {
  return readPageView(await headers(), pageDatabase, request, pageReads)
}
