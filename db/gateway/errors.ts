/** The error bodies the endpoint answers with, shaped exactly as Neon's proxy shapes them. */

/** The Postgres ErrorResponse fields Neon returns, in Neon's key order. */
export const POSTGRES_ERROR_FIELDS = [
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'severity',
  'where',
  'table',
  'column',
  'schema',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const

export type PostgresErrorField = (typeof POSTGRES_ERROR_FIELDS)[number]
export type PostgresErrorFields = Partial<Record<PostgresErrorField, string | undefined>>

/** An error Postgres itself raised: answered 400 with every field, so the driver's NeonDbError carries them. */
export class PostgresError extends Error {
  readonly fields: PostgresErrorFields
  constructor(message: string, fields: PostgresErrorFields) {
    super(message)
    this.name = 'PostgresError'
    this.fields = fields
  }
}

/** An error of the endpoint itself (bad request, limits, unreachable database): its own status, no SQL fields. */
export class EndpointError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, message: string, code = '') {
    super(message)
    this.name = 'EndpointError'
    this.status = status
    this.code = code
  }
}

/** Neon's error body: message first, then every field, `null` where Postgres gave none. */
export function errorBody(message: string, fields: PostgresErrorFields = {}): Record<string, string | null> {
  const body: Record<string, string | null> = { message }
  for (const field of POSTGRES_ERROR_FIELDS) body[field] = fields[field] ?? null
  return body
}

/** Duck-types an error carrying Postgres fields, whichever client raised it (pg or PGlite's protocol parser). */
export function isPostgresErrorLike(error: unknown): error is Error & PostgresErrorFields {
  return (
    error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && 'severity' in error
  )
}

export function toPostgresError(error: Error & PostgresErrorFields): PostgresError {
  const fields: PostgresErrorFields = {}
  for (const field of POSTGRES_ERROR_FIELDS) fields[field] = error[field]
  return new PostgresError(error.message, fields)
}

/** What Neon answers when the client went away mid-query: only these two keys, no SQL fields. */
export function cancelledError(): EndpointError {
  return new EndpointError(400, 'Query cancelled, connection was terminated', '08P01')
}
