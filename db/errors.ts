/** Recognises Postgres errors that the data layer turns into outcomes rather than failures. */

const UNIQUE_VIOLATION = '23505'

interface PostgresErrorFields {
  code?: unknown
  constraint?: unknown
}

/**
 * True when `error` (or an error in its `cause` chain) is a unique violation on `constraint`.
 * drizzle wraps single-query errors in DrizzleQueryError with the driver's NeonDbError as `cause`; batches throw
 * the NeonDbError itself, so walk the chain rather than assume one shape. When the server omits the constraint
 * name we accept the code alone: callers only ask about statements that can hit a single unique index.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const fields = current as PostgresErrorFields
    if (fields.code === UNIQUE_VIOLATION) {
      return fields.constraint === undefined || fields.constraint === null || fields.constraint === constraint
    }
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/** How a database call failed when the fault is the database's, not the request's (issue 10: 503 and 504). */
export type DatabaseFailure = 'unavailable' | 'timeout'

/**
 * Postgres codes that say "the database cannot serve now; the same request may succeed later": connection
 * exceptions (class 08), the server shutting down or starting (57P01–57P03), out of connections or resources
 * (class 53), and a transaction that lost a race (40001 serialization, 40P01 deadlock).
 */
const UNAVAILABLE_CODES = /^(08...|57P0[123]|53...|40001|40P01)$/
/** 57014 query_canceled (statement_timeout, or cancelled when we gave up); 55P03 lock_not_available (lock_timeout). */
const TIMEOUT_CODES = new Set(['57014', '55P03'])

/**
 * Classifies a failed database call, walking drizzle's `cause` and the driver's `sourceError`: a deadline that
 * expired (our `TimeoutError`) or a Postgres timeout code is a timeout; a request that never reached Postgres
 * (no connection, the gateway or Neon answering 5xx, Postgres refusing connections) is unavailability. Anything
 * else (a bug, a constraint) is undefined: the caller's own business.
 */
export function classifyDatabaseFailure(error: unknown): DatabaseFailure | undefined {
  let unavailable = false
  const seen = new Set<unknown>()
  const pending: unknown[] = [error]
  while (pending.length > 0 && seen.size < 10) {
    const current = pending.pop()
    if (!current || typeof current !== 'object' || seen.has(current)) continue
    seen.add(current)
    const { name, code, message, cause, sourceError } = current as {
      name?: unknown
      code?: unknown
      message?: unknown
      cause?: unknown
      sourceError?: unknown
    }
    if (name === 'TimeoutError') return 'timeout'
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return 'timeout'
    if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) unavailable = true
    if (name === 'NeonDbError' && typeof message === 'string' && isUnreachableMessage(message))
      unavailable = true
    pending.push(cause, sourceError)
  }
  return unavailable ? 'unavailable' : undefined
}

/**
 * The driver's own messages when no Postgres answer came back: `fetch` rejected, or the endpoint (Neon's proxy or
 * our gateway) answered 5xx or 429. 507 (result too large) is ours to fix, not a reason to come back later.
 */
function isUnreachableMessage(message: string): boolean {
  if (message.startsWith('Error connecting to database')) return true
  const status = /^Server error \(HTTP status (\d{3})\)/.exec(message)?.[1]
  return status !== undefined && (status === '429' || (status.startsWith('5') && status !== '507'))
}
