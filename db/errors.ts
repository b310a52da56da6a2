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

/**
 * How a database call failed when the fault is not the request's: the database cannot serve now (503), did not
 * answer in time (504), or refused to open a session for DATABASE_URL at all, which waiting will not fix.
 */
export type DatabaseFailure = 'unavailable' | 'timeout' | DatabaseMisconfiguration

/**
 * Postgres refused the session that DATABASE_URL asks for (decision 0022): the database it names does not exist
 * (3D000), the role or password is refused (class 28: unknown role, wrong password, no pg_hba.conf entry, a role
 * without LOGIN), or the role lacks CONNECT on the database (42501 raised while connecting). An operator must
 * change the setting or the server; no client can do anything about it, and no retry will help.
 */
export type DatabaseMisconfiguration = 'unknown-database' | 'credentials-refused' | 'connect-not-permitted'

const MISCONFIGURATIONS: ReadonlySet<DatabaseFailure> = new Set<DatabaseMisconfiguration>([
  'unknown-database',
  'credentials-refused',
  'connect-not-permitted',
])

export function isMisconfiguration(
  failure: DatabaseFailure | undefined,
): failure is DatabaseMisconfiguration {
  return failure !== undefined && MISCONFIGURATIONS.has(failure)
}

/**
 * Postgres codes that say "the database cannot serve now; the same request may succeed later": connection
 * exceptions (class 08), the server shutting down or starting (57P01–57P03), out of connections or resources
 * (class 53), and a transaction that lost a race (40001 serialization, 40P01 deadlock).
 */
const UNAVAILABLE_CODES = /^(08...|57P0[123]|53...|40001|40P01)$/
/** 57014 query_canceled (statement_timeout, or cancelled when we gave up); 55P03 lock_not_available (lock_timeout). */
const TIMEOUT_CODES = new Set(['57014', '55P03'])

/** The fields of an error in a failed call's chain that classification reads. */
interface ChainLink {
  name?: unknown
  code?: unknown
  severity?: unknown
  message?: unknown
  cause?: unknown
  sourceError?: unknown
  errors?: unknown
}

/**
 * Every error in a failed call's chain, outermost first: drizzle's `DrizzleQueryError.cause` is the driver's
 * NeonDbError, whose `sourceError` is what `fetch` threw, whose `cause` is the network's error (an
 * AggregateError's `errors` when several addresses were tried). Bounded: a chain is never longer than a few.
 */
function errorChain(error: unknown): ChainLink[] {
  const chain: ChainLink[] = []
  const pending: unknown[] = [error]
  while (pending.length > 0 && chain.length < 10) {
    const current = pending.shift()
    if (!current || typeof current !== 'object' || chain.includes(current as ChainLink)) continue
    const link = current as ChainLink
    chain.push(link)
    pending.push(link.cause, link.sourceError, ...(Array.isArray(link.errors) ? link.errors : []))
  }
  return chain
}

/**
 * Classifies a failed database call, walking drizzle's `cause` and the driver's `sourceError`. Postgres refusing
 * the session DATABASE_URL asks for is a misconfiguration, whatever else the chain holds: it is Postgres's own
 * definite answer. Otherwise a deadline that expired (our `TimeoutError`) or a Postgres timeout code is a
 * timeout; a request that never reached Postgres (no connection, the gateway or Neon answering 5xx, Postgres
 * refusing connections) is unavailability. Anything else (a bug, a constraint) is undefined: the caller's own
 * business.
 */
export function classifyDatabaseFailure(error: unknown): DatabaseFailure | undefined {
  const chain = errorChain(error)
  for (const link of chain) {
    const misconfiguration = misconfigurationOf(link)
    if (misconfiguration) return misconfiguration
  }
  let unavailable = false
  for (const { name, code, message } of chain) {
    if (name === 'TimeoutError') return 'timeout'
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return 'timeout'
    if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) unavailable = true
    if (name === 'NeonDbError' && typeof message === 'string' && isUnreachableMessage(message))
      unavailable = true
  }
  return unavailable ? 'unavailable' : undefined
}

/**
 * What a Postgres error raised while opening the session says about DATABASE_URL. 42501 counts only at FATAL
 * severity ("permission denied for database", no CONNECT privilege): raised by a statement (ERROR: a table's
 * grant is missing) it stays an ordinary failure. Neon's proxy checks passwords itself and may answer with its own
 * message and no code (`password authentication failed for user 'u'`, see shared/neon-http-protocol.md §6).
 */
function misconfigurationOf({
  name,
  code,
  severity,
  message,
}: ChainLink): DatabaseMisconfiguration | undefined {
  if (code === '3D000') return 'unknown-database'
  if (typeof code === 'string' && code.startsWith('28')) return 'credentials-refused'
  if (code === '42501' && severity === 'FATAL') return 'connect-not-permitted'
  const codeless = code === undefined || code === ''
  if (
    name === 'NeonDbError' &&
    codeless &&
    typeof message === 'string' &&
    /^password authentication failed/.test(message)
  )
    return 'credentials-refused'
  return undefined
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

/**
 * The underlying reason a database call failed, in one line fit for an operator's terminal: Postgres's message
 * and code (`database "appp" does not exist (Postgres 3D000)`), the message inside an endpoint's 5xx answer
 * (`Couldn't connect to compute node: connect ECONNREFUSED 10.0.0.5:5432`), or the network's own error under
 * `fetch failed` (`getaddrinfo ENOTFOUND api.…`): never just drizzle's `Failed query: …` or the driver's wrapper.
 */
export function underlyingCause(error: unknown): string {
  const chain = errorChain(error)
  const postgres = chain.find((link) => typeof link.severity === 'string' && isPostgresCode(link.code))
  if (postgres) return `${String(postgres.message)} (Postgres ${String(postgres.code)})`
  const answered = chain.find((link) => typeof link.message === 'string' && SERVER_ERROR.test(link.message))
  if (answered) return endpointAnswer(answered.message as string)
  // The innermost error that says anything: the network's, under fetch's `TypeError: fetch failed`.
  const described = chain.filter((link) => typeof link.message === 'string' && link.message !== '')
  const innermost = described.at(-1)
  if (!innermost) return String(error)
  const name = typeof innermost.name === 'string' && innermost.name !== 'Error' ? `${innermost.name}: ` : ''
  return `${name}${String(innermost.message)}`
}

const SERVER_ERROR = /^Server error \(HTTP status (\d{3})\): ([\s\S]*)$/

/** The driver's `Server error (HTTP status 500): {"message":…}`, reduced to the endpoint's own message and status. */
function endpointAnswer(message: string): string {
  const [, status, body = ''] = SERVER_ERROR.exec(message) ?? []
  let text = body.trim()
  try {
    const parsed = JSON.parse(text) as unknown
    if (typeof parsed === 'string') text = parsed
    else if (parsed && typeof (parsed as { message?: unknown }).message === 'string')
      text = (parsed as { message: string }).message
  } catch {
    // Not JSON (a proxy's HTML page, say): its text, shortened, is still the best account there is.
  }
  return `${text.slice(0, 300)} (HTTP ${status} from the SQL endpoint)`
}

/** A SQLSTATE: five digits or upper-case letters (Node's `ECONNREFUSED` and the like are not Postgres's). */
function isPostgresCode(code: unknown): boolean {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)
}
