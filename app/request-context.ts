/** The platform's per-request context, where Next's own `after` finds `waitUntil` (Vercel and `next start` set it). */
import type { WaitUntil } from '@/edge/telemetry/tracer'

const REQUEST_CONTEXT = Symbol.for('@next/request-context')
type RequestContext = { get(): { waitUntil?: WaitUntil } | undefined }

/**
 * Keeps `work` going after the answer, as Next's `after` does, read directly: importing `after` itself put ~8 KiB of
 * Next into the API function (decision 0035). Without a request context the work simply runs on (`next start` stays
 * up).
 */
export const waitUntilAfterResponse: WaitUntil = (work) => {
  const context = (globalThis as { [REQUEST_CONTEXT]?: RequestContext })[REQUEST_CONTEXT]
  context?.get()?.waitUntil?.(work)
}
