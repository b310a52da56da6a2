/**
 * Read-your-writes across replicas (decision 0037): every write answers with its position, in a header for API
 * clients to echo and a cookie for browsers; a read carrying one goes to a replica only once it has replayed it.
 */
import type { Context } from 'hono'
import { setCookie } from 'hono/cookie'
import {
  type CallerPosition,
  type ConsistencyPosition,
  formatPosition,
  laterPosition,
  type ReadRouter,
  readPosition,
} from '../db/replicas'
import type { AppEnv } from './context'
import { cookieBasics } from './routes/auth/session-kit'

/**
 * Answered by every write; sent back by a client on its next reads (any client, any server, any instance). Not
 * `X-Edgeline-…`: middleware.ts strips every request header with that prefix (it is reserved for the identity it
 * verified), and RFC 6648 retired the `X-` convention anyway.
 */
export const CONSISTENCY_HEADER = 'Edgeline-Consistency'
/** The same position for browsers (pages and their forms): not readable by scripts, sent with every same-site request. */
export const CONSISTENCY_COOKIE = 'edgeline_consistency'

/**
 * How long a browser keeps its position: past the lag bound, a replica that has still not replayed the write
 * serves no one (its lag exceeds DATABASE_REPLICA_MAX_LAG_MS), so the position is no longer needed.
 */
export function consistencyCookieSeconds(maxLagMs: number): number {
  return Math.max(60, Math.ceil((2 * maxLagMs) / 1000))
}

/**
 * The position a request carries: its header or its cookie, the latest of all it sends. Every cookie of that name
 * counts (a sibling site may plant one with a narrower path, which the browser sends first): a planted position can
 * only be later than the caller's own, which sends their reads to the primary, never earlier, which would not.
 */
export function positionOfRequest(headers: Headers): CallerPosition | undefined {
  let latest = readPosition(headers.get(CONSISTENCY_HEADER))
  const cookies = (headers.get('cookie') ?? '').matchAll(/(?:^|;\s*)edgeline_consistency=([^;]*)/g)
  for (const [, value] of cookies) latest = laterPosition(latest, readPosition(value?.trim()))
  return latest
}

/** `positionOfRequest` for a Hono request. */
export function positionOf(c: Context<AppEnv>): CallerPosition | undefined {
  return positionOfRequest(c.req.raw.headers)
}

/**
 * Tells the caller where its write is (`<xid>.<ms>`): the header, and the cookie (never moved back to an older
 * write's transaction). Only when there are replicas: without them every read sees every write anyway.
 */
export function answerWritten(c: Context<AppEnv>, xid: ConsistencyPosition, reads: ReadRouter): void {
  if (!reads.hasReplicas) return
  const maxLagMs = reads.maxLagMs
  const written = { xid, writtenAt: Date.now() }
  const latest = formatPosition(laterPosition(written, positionOf(c)) ?? written)
  c.header(CONSISTENCY_HEADER, latest)
  setCookie(c, CONSISTENCY_COOKIE, latest, {
    ...cookieBasics(c),
    path: '/',
    maxAge: consistencyCookieSeconds(maxLagMs),
  })
}

/** The request header, for a reading route's `parameters` (OpenAPI). */
export const consistencyParameter = {
  name: CONSISTENCY_HEADER,
  in: 'header' as const,
  required: false,
  description:
    'The `Edgeline-Consistency` of your last write: the read then sees that write even when it is served by a ' +
    'read replica. Browsers send the `edgeline_consistency` cookie instead, on their own.',
  schema: {
    type: 'string' as const,
    pattern: '^[1-9][0-9]{0,19}\\.[0-9]{1,15}$',
    example: '48213.1765040123456',
  },
}

/** The response header, for a writing route's `responses[status].headers` (OpenAPI). */
export const consistencyResponseHeader = {
  [CONSISTENCY_HEADER]: {
    description:
      'Only when the API has read replicas: where this write is. Send it back on your next reads ' +
      '(`Edgeline-Consistency`) to read your own writes; browsers get it as a cookie as well.',
    schema: { type: 'string' as const, example: '48213.1765040123456' },
  },
}
