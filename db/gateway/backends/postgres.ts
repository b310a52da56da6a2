/** The real-Postgres backend: a pg pool per target database, queries run with the extended protocol as Neon runs them. */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { isPlainRead } from '../../plain-read'
import { cancelledError, EndpointError, isPostgresErrorLike, toPostgresError } from '../errors'
import {
  type ConnectionTarget,
  type FieldDescription,
  type RunRequest,
  SESSION_DEFAULTS,
  SESSION_RESET_SQL,
  type SqlBackend,
  type SqlStatement,
  type StatementResult,
  startTransactionSql,
} from './backend'

export interface PostgresBackendOptions {
  /** Connections per target database. */
  poolSize: number
  /** Milliseconds a statement may run before Postgres cancels it (57014); 0 leaves it unbounded, as Neon does. */
  statementTimeoutMs: number
  /** Milliseconds a request may wait for a connection (a new one, or a free one of a busy pool); 0 waits forever. */
  poolTimeoutMs: number
}

// Every value stays the text Postgres sent: the Neon driver parses types itself, on the client.
const rawText = { getTypeParser: () => (value: string) => value }

/** The pg client plus the transaction status of its last ReadyForQuery ('I' idle, 'T' in, 'E' failed). */
type TrackedClient = pg.PoolClient & { transactionStatus?: string; processID: number }

export function createPostgresBackend(options: PostgresBackendOptions): SqlBackend {
  const pools = new Map<string, pg.Pool>()

  function poolFor(target: ConnectionTarget): pg.Pool {
    let pool = pools.get(target.key)
    if (!pool) {
      pool = new pg.Pool({
        ...clientConfig(target, options),
        max: options.poolSize,
        connectionTimeoutMillis: options.poolTimeoutMs,
      })
      pool.on('connect', (client) => {
        const tracked = client as TrackedClient
        // pg keeps ReadyForQuery's status to itself; the reset below needs it to know if a transaction is open.
        const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection
        connection.on('readyForQuery', (message: { status: string }) => {
          tracked.transactionStatus = message.status
        })
      })
      // An idle client that dies (server restart) is dropped by the pool; it must not crash the endpoint.
      pool.on('error', () => undefined)
      pools.set(target.key, pool)
    }
    return pool
  }

  /**
   * A connection lost under a request most often means the server restarted or failed over, and then every idle
   * connection of the pool is dead too, though the pool learns it only one request at a time. The pool is
   * replaced: the retry below and every request after it get fresh connections; the old pool closes its
   * connections as their requests finish.
   */
  function retirePool(target: ConnectionTarget, pool: pg.Pool): void {
    if (pools.get(target.key) !== pool) return
    pools.delete(target.key)
    pool.end().catch(() => undefined)
  }

  async function runOnce(request: RunRequest): Promise<StatementResult[]> {
    const pool = poolFor(request.target)
    const client = (await connect(pool)) as TrackedClient
    if (request.signal.aborted) {
      client.release()
      throw cancelledError()
    }
    const cancel = () => void cancelBackend(request.target, options, client.processID)
    request.signal.addEventListener('abort', cancel, { once: true })
    let broken = false
    try {
      return await runStatements(client, request)
    } catch (error) {
      broken = !isPostgresErrorLike(error) || isFailedCopyIn(error) || endsTheConnection(error)
      if (broken && !isFailedCopyIn(error) && !request.signal.aborted) {
        retirePool(request.target, pool)
        throw new ConnectionLost(error)
      }
      throw request.signal.aborted ? cancelledError() : translate(error)
    } finally {
      request.signal.removeEventListener('abort', cancel)
      // Reset after the reply is on its way, as Neon's proxy does, then hand the connection back.
      void resetSession(client, broken, request).then(
        () => client.release(),
        (error: Error) => client.release(error),
      )
    }
  }

  return {
    /**
     * A pooled connection that Postgres closed while idle (a restart, a failover, an idle timeout) is found dead
     * only when used. A single SELECT that lost its connection so is run once more on a fresh one: reads are
     * idempotent, and after a restart the first request succeeds instead of failing on a stale connection.
     */
    async run(request) {
      try {
        return await runOnce(request)
      } catch (error) {
        if (!(error instanceof ConnectionLost)) throw error
        if (!isSingleSelect(request)) throw translate(error.cause)
        try {
          return await runOnce(request)
        } catch (again) {
          throw again instanceof ConnectionLost ? translate(again.cause) : again
        }
      }
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.end()))
      pools.clear()
    },
  }
}

/**
 * Postgres's errors that end the session rather than the statement: the server is shutting down or restarting
 * (57P01 admin_shutdown, as `pg_terminate_backend` sends it, 57P02, 57P03), or the connection failed (class 08). A
 * pooled connection that was killed while idle can deliver its FATAL as the answer to the next query sent on it.
 */
function endsTheConnection(error: unknown): boolean {
  const { code } = error as { code?: unknown }
  return typeof code === 'string' && (code.startsWith('57P') || code.startsWith('08'))
}

/** The connection broke under a request (not a Postgres error of its own): whether it ran is unknown. */
class ConnectionLost extends Error {
  constructor(readonly cause: unknown) {
    super('connection lost')
  }
}

function isSingleSelect({ statements, batch }: RunRequest): boolean {
  return batch === null && statements.length === 1 && isPlainRead(statements[0]?.text ?? '')
}

function clientConfig(target: ConnectionTarget, options: PostgresBackendOptions): pg.ClientConfig {
  const settings = { ...SESSION_DEFAULTS }
  if (options.statementTimeoutMs > 0) settings.statement_timeout = String(options.statementTimeoutMs)
  const { application_name: applicationName, options: extraOptions } = target.startupParameters
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl: tlsFor(target.startupParameters),
    // A dead peer (a Postgres host that vanished) is noticed by TCP keep-alive instead of hanging forever.
    keepAlive: true,
    application_name: applicationName,
    // Startup options become the session defaults that DISCARD ALL (RESET ALL) returns to.
    options: [
      ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value.replaceAll(' ', '\\ ')}`),
      extraOptions ?? '',
    ].join(' '),
  }
}

/**
 * A connection from the pool, or Neon's answer when none comes: 500 "Couldn't connect to compute node" whatever
 * the reason (refused, the database not accepting connections, out of connections, or no free one within
 * `poolTimeoutMs`), never a Postgres error of the request's own: the request itself never ran.
 */
async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect()
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new EndpointError(500, `Couldn't connect to compute node: ${reason}`)
  }
}

/**
 * TLS as libpq reads `sslmode` (and `sslrootcert`) from the connection string: `require` encrypts without
 * checking the certificate, `verify-ca` checks it against the CA, `verify-full` checks the host name too.
 * `disable`, `allow`, `prefer` or none: plain TCP (pg cannot fall back from TLS to plain as libpq's `prefer` does,
 * so it does not try TLS at all; say `require` for a server that insists on it).
 */
function tlsFor(parameters: Record<string, string>): pg.ClientConfig['ssl'] {
  const mode = parameters.sslmode ?? (parameters.ssl === 'true' ? 'require' : undefined)
  const ca = parameters.sslrootcert ? readFileSync(parameters.sslrootcert, 'utf8') : undefined
  switch (mode) {
    case 'require':
      return { rejectUnauthorized: false }
    case 'verify-ca':
      return { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined }
    case 'verify-full':
      return { rejectUnauthorized: true, ca }
    case undefined:
    case 'disable':
    case 'allow':
    case 'prefer':
      return false
    default:
      throw new EndpointError(400, `invalid sslmode: ${mode}`)
  }
}

async function runStatements(client: pg.PoolClient, { statements, batch, signal }: RunRequest) {
  if (!batch) return [await execute(client, statements[0] as SqlStatement)]
  await client.query(startTransactionSql(batch))
  const results: StatementResult[] = []
  for (const statement of statements) {
    if (signal.aborted) throw cancelledError()
    results.push(await execute(client, statement))
  }
  if (signal.aborted) throw cancelledError()
  await client.query('COMMIT')
  return results
}

async function execute(client: pg.PoolClient, statement: SqlStatement): Promise<StatementResult> {
  const result = await client.query({
    text: statement.text,
    values: statement.params,
    rowMode: 'array',
    types: rawText,
    // Always Parse/Bind/Execute, even without parameters, so multi-statement strings fail as they do on Neon.
    queryMode: 'extended',
  } as pg.QueryArrayConfig)
  return {
    fields: result.fields.map(toField),
    rows: result.rows as (string | null)[][],
    command: result.command ?? '',
    rowCount: result.command ? (result.rowCount ?? null) : null,
  }
}

function toField(field: pg.FieldDef): FieldDescription {
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

/**
 * A `COPY … FROM STDIN` (no data can come over HTTP): pg answers the server's CopyInResponse with CopyFail, but the
 * Sync it had already sent was swallowed in copy-in mode, so the server never says ReadyForQuery again and the
 * connection would hang forever. Such a connection is discarded, never reused.
 */
function isFailedCopyIn(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string }
  return code === '57014' && typeof message === 'string' && message.startsWith('COPY from stdin failed')
}

async function resetSession(client: TrackedClient, broken: boolean, request: RunRequest): Promise<void> {
  if (broken) throw new Error('connection state unknown after a failure: discard it')
  const idle = !client.transactionStatus || client.transactionStatus === 'I'
  if (idle && leavesNoSessionState(request)) return
  if (!idle) await client.query('ROLLBACK')
  await client.query(SESSION_RESET_SQL)
}

/**
 * Words without which a lone SELECT cannot leave anything behind in the session: no setting (`set_config`), no
 * temporary table, prepared statement, cursor, listener, advisory lock or role, no sequence state for `currval`.
 * False positives (a column named `role`) only cost the reset.
 */
const SESSION_STATE_WORDS =
  /\b(set|set_config|temp|temporary|into|prepare|listen|advisory|declare|load|discard|nextval|setval|lo_\w+|dblink\w*)\b|pg_advisory/i

/**
 * A single SELECT that mentions none of those needs no reset: the reset (DISCARD ALL) is a second statement for
 * Postgres on every request, and most requests are such reads. Anything else is reset, as Neon's proxy does.
 */
function leavesNoSessionState(request: RunRequest): boolean {
  return isSingleSelect(request) && !SESSION_STATE_WORDS.test(request.statements[0]?.text ?? '')
}

/** Asks Postgres to cancel the statement running on `processId`, from a short-lived connection of its own. */
async function cancelBackend(target: ConnectionTarget, options: PostgresBackendOptions, processId: number) {
  const canceller = new pg.Client(clientConfig(target, options))
  try {
    await canceller.connect()
    await canceller.query('SELECT pg_cancel_backend($1)', [processId])
  } catch {
    // The statement may have finished meanwhile; nothing is left to cancel.
  } finally {
    await canceller.end().catch(() => undefined)
  }
}

function translate(error: unknown): Error {
  if (isPostgresErrorLike(error)) return toPostgresError(error)
  if (error instanceof EndpointError) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new EndpointError(500, `Couldn't connect to compute node: ${reason}`)
}
