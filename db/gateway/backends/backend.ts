/** What every backend of the gateway does: run Neon's queries and batches, answering in Neon's shapes. */

/** One statement as Neon sends it: `$n` placeholders, every parameter already Postgres text (or NULL). */
export interface SqlStatement {
  text: string
  params: (string | null)[]
}

export type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable'

/** The `Neon-Batch-*` options of a transaction batch. */
export interface BatchOptions {
  isolationLevel?: IsolationLevel
  readOnly: boolean
  deferrable: boolean
}

/** Column metadata straight from RowDescription, with Neon's (and node-postgres') key names. */
export interface FieldDescription {
  name: string
  dataTypeID: number
  tableID: number
  columnID: number
  dataTypeSize: number
  dataTypeModifier: number
  format: 'text'
}

/** RowDescription's column metadata (pg-protocol's field) as Neon reports it: every number kept, format text. */
export function describeField(field: Omit<FieldDescription, 'format'>): FieldDescription {
  return {
    name: field.name,
    dataTypeID: field.dataTypeID,
    tableID: field.tableID,
    columnID: field.columnID,
    dataTypeSize: field.dataTypeSize,
    dataTypeModifier: field.dataTypeModifier,
    format: 'text',
  }
}

/** One statement's outcome before the endpoint renders it: rows are arrays of Postgres text. */
export interface StatementResult {
  fields: FieldDescription[]
  rows: (string | null)[][]
  command: string
  rowCount: number | null
}

/** The database a request names, parsed from its `Neon-Connection-String`. */
export interface ConnectionTarget {
  /** A stable key for pooling: requests with equal keys may share connections. */
  key: string
  host: string
  port: number
  user: string
  password: string
  database: string
  /** Query-string pairs of the connection string, sent as startup parameters. */
  startupParameters: Record<string, string>
}

export interface RunRequest {
  target: ConnectionTarget
  statements: SqlStatement[]
  /** `null` for a single statement run on its own (autocommit); options for a transaction batch. */
  batch: BatchOptions | null
  /** Aborted when the HTTP client goes away: the backend cancels or rolls back what it can. */
  signal: AbortSignal
}

/** A backend's connections now, over every database it serves (the production server's metrics read it). */
export interface PoolStats {
  inUse: number
  idle: number
  waiting: number
}

export interface SqlBackend {
  run(request: RunRequest): Promise<StatementResult[]>
  close(): Promise<void>
  /** Connections in use, idle and waited for; absent where there is no pool (PGlite runs one query at a time). */
  poolStats?(): PoolStats
}

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
}

/** The statement that opens a batch, built the way Neon's proxy builds it. */
export function startTransactionSql(options: BatchOptions): string {
  const modes: string[] = []
  if (options.isolationLevel) modes.push(`ISOLATION LEVEL ${ISOLATION_SQL[options.isolationLevel]}`)
  if (options.readOnly) modes.push('READ ONLY')
  if (options.deferrable) modes.push('DEFERRABLE')
  return modes.length > 0 ? `START TRANSACTION ${modes.join(', ')}` : 'START TRANSACTION'
}

/**
 * Splits a CommandComplete tag the way Neon's proxy does: the command is the first word; the row count is the
 * third word of `INSERT oid n`, otherwise the second, and null when there is none.
 */
export function parseCommandTag(tag: string): { command: string; rowCount: number | null } {
  const words = tag.split(' ')
  const command = words[0] ?? ''
  const countWord = command === 'INSERT' ? words[2] : words[1]
  const rowCount = countWord !== undefined && /^\d+$/.test(countWord) ? Number(countWord) : null
  return { command, rowCount }
}

/**
 * The session reset Neon runs between requests, so no SET, temp table, prepared statement, advisory lock or
 * open transaction outlives the request that made it.
 */
export const SESSION_RESET_SQL = 'DISCARD ALL'

/** Session settings pinned so text output matches Neon's (timestamptz printed as `…+00`). */
export const SESSION_DEFAULTS: Record<string, string> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
}
