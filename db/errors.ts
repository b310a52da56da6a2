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
