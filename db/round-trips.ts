/** Observing the driver's round trips (for tracing): what each one is, described without a single parameter value. */
import type { SqlFetch } from './client'

/** One HTTP request of the driver: one statement, or a batch of them in one transaction. */
export interface RoundTrip {
  /** The statement's first keyword (`SELECT`), or `BATCH SELECT` / `BATCH` for a batch (OpenTelemetry's rule). */
  operation: string
  /** How many statements the round trip carried (1 unless a batch). */
  statements: number
  /** The SQL text with its placeholders, only when the observer asked for it; values are never included. */
  queryText?: string
  /** Where the round trip went: the gateway's or Neon's host and port (the URL holds no credential). */
  server: URL
  /** The HTTP status the database endpoint answered; undefined when no answer came (network failure, deadline). */
  status: number | undefined
}

/**
 * Called as a round trip starts; returns what to call once it is over, or undefined to let it go unobserved (no
 * request being traced): then nothing about it is read or parsed.
 */
export type RoundTripObserver = () => ((trip: RoundTrip) => void) | undefined

export interface ObservedRoundTrips {
  observe: RoundTripObserver
  /** Copy each round trip's SQL text into `queryText` (OTEL_EDGELINE_DB_QUERY_TEXT). */
  queryText: boolean
}

/** Wraps the driver's fetch (or the global one, looked up per call) so that every round trip is observed. */
export function observeRoundTrips(
  send: SqlFetch | undefined,
  { observe, queryText }: ObservedRoundTrips,
): SqlFetch {
  return async (url, init) => {
    const finish = observe()
    const fetchOnce = send ?? ((input: string, request: RequestInit) => fetch(input, request))
    if (!finish) return fetchOnce(url, init)
    let status: number | undefined
    try {
      const response = await fetchOnce(url, init)
      status = response.status
      return response
    } finally {
      finish({ ...describeStatements(init.body, queryText), server: new URL(url), status })
    }
  }
}

/** The driver's body is `{query, params}` or `{queries: [{query, params}, …]}`: only the `query` strings are read. */
function describeStatements(
  body: RequestInit['body'],
  withText: boolean,
): Pick<RoundTrip, 'operation' | 'statements' | 'queryText'> {
  let queries: string[] = []
  try {
    const parsed = JSON.parse(typeof body === 'string' ? body : '{}') as {
      query?: unknown
      queries?: { query?: unknown }[]
    }
    const list = Array.isArray(parsed.queries) ? parsed.queries : [parsed]
    queries = list.map((entry) => (typeof entry?.query === 'string' ? entry.query : ''))
  } catch {
    // Not the driver's JSON: described as an unknown operation rather than failing the query.
  }
  const operations = queries.map(operationOf)
  const [first = 'UNKNOWN'] = operations
  const operation =
    operations.length <= 1 ? first : operations.every((op) => op === first) ? `BATCH ${first}` : 'BATCH'
  return {
    operation,
    statements: queries.length,
    ...(withText ? { queryText: queries.join(';\n') } : {}),
  }
}

const MAIN_STATEMENTS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE'])

/**
 * The statement's command: its first keyword, except that a `WITH …` statement is named by the statement after its
 * common table expressions (the first SELECT/INSERT/UPDATE/DELETE/MERGE outside parentheses), as a reader would.
 */
function operationOf(query: string): string {
  const first = /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase()
  if (first !== 'WITH') return first ?? 'UNKNOWN'
  let depth = 0
  for (const match of query.matchAll(/[()]|"(?:[^"]|"")*"|'(?:[^']|'')*'|\w+/g)) {
    const token = match[0]
    if (token === '(') depth += 1
    else if (token === ')') depth -= 1
    else if (depth === 0 && MAIN_STATEMENTS.has(token.toUpperCase())) return token.toUpperCase()
  }
  return 'WITH'
}
