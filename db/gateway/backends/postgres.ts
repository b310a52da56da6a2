/** The real-Postgres backend: a pg pool per target database, queries run with the extended protocol as Neon runs them. */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { isPlainRead } from '../../plain-read'
import { cancelledError, EndpointError, isPostgresErrorLike, toPostgresError } from '../errors'
import {
  type ConnectionTarget,
  type RunRequest,
  SESSION_DEFAULTS,
  SESSION_RESET_SQL,
  type SqlBackend,
  type StatementResult,
  startTransactionSql,
} from './backend'
import { CopyInRefused, StatementGroup } from './statement-group'

export interface PostgresBackendOptions {
  /** Connections per target database. */
  poolSize: number
  /** Milliseconds a statement may run before Postgres cancels it (57014); 0 leaves it unbounded, as Neon does. */
  statementTimeoutMs: number
  /** Milliseconds a request may wait for a connection (a new one, or a free one of a busy pool); 0 waits forever. */
  poolTimeoutMs: number
}

/** A pooled pg client in pipeline mode: queries are written as soon as they are asked, answered in order. */
type PipelinedClient = pg.PoolClient & { processID: number; getTransactionStatus(): string | null }

export function createPostgresBackend(options: PostgresBackendOptions): SqlBackend {
  const pools = new Map<string, pg.Pool>()

  function poolFor(target: ConnectionTarget): pg.Pool {
    let pool = pools.get(target.key)
    if (!pool) {
      pool = new pg.Pool({
        ...clientConfig(target, options),
        // A request's statements and the session reset behind them go out in one write (statement-group.ts).
        pipeline: true,
        max: options.poolSize,
        connectionTimeoutMillis: options.poolTimeoutMs,
      } as pg.PoolConfig)
      // pg emits 'error' on a client whose connection dies (pg_terminate_backend, a restart, a reset socket). The
      // pool listens only while a client is idle; a checked-out one with no listener would throw the event at the
      // process and end it. Every client gets a listener for life: the request that holds it sees the failure as
      // its own query's rejection, and the client is discarded when released.
      pool.on('connect', (client) => {
        client.on('error', () => undefined)
      })
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
    const client = (await connect(pool)) as PipelinedClient
    if (request.signal.aborted) {
      client.release()
      throw cancelledError()
    }
    const cancel = () => void cancelBackend(request.target, options, client.processID)
    request.signal.addEventListener('abort', cancel, { once: true })
    const { answer, reset } = sendRequest(client, request)
    let broken = false
    try {
      return await answer
    } catch (error) {
      broken = !isPostgresErrorLike(error) || error instanceof CopyInRefused || endsTheConnection(error)
      if (broken && !(error instanceof CopyInRefused) && !request.signal.aborted) {
        retirePool(request.target, pool)
        throw new ConnectionLost(error)
      }
      throw request.signal.aborted ? cancelledError() : translate(error)
    } finally {
      request.signal.removeEventListener('abort', cancel)
      // The reply goes out now; the connection returns to the pool once the reset behind it is done.
      void finishReset(client, reset, broken).then(
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
    poolStats() {
      const stats = { inUse: 0, idle: 0, waiting: 0 }
      for (const pool of pools.values()) {
        stats.inUse += pool.totalCount - pool.idleCount
        stats.idle += pool.idleCount
        stats.waiting += pool.waitingCount
      }
      return stats
    },
  }
}

/**
 * Writes the whole request and the session reset behind it before reading anything, so that Postgres sees them
 * in one write and the reset costs no round trip of its own:
 *
 * - a single statement: `[statement, Sync]`, then `DISCARD ALL`;
 * - a batch: `[START TRANSACTION, statement…, Sync]`, then `[COMMIT, Sync]`, then `DISCARD ALL`. After the first
 *   error Postgres skips the rest of its group, so no statement after a failed one runs (as on Neon, which stops
 *   at the first error); the `COMMIT` then finds the transaction failed and rolls it back without an error.
 *
 * The reset runs after every request, whatever the SQL said: no text can show what a called function did to the
 * session (a setting, a temporary table, a lock, a role, a listener, a cursor, a sequence's `currval`).
 */
function sendRequest(client: PipelinedClient, { statements, batch }: RunRequest) {
  const stream = (client as unknown as { connection: { stream: { cork(): void; uncork(): void } } })
    .connection.stream
  stream.cork()
  try {
    if (!batch) {
      const group = new StatementGroup(statements)
      client.query(group)
      return { answer: group.done, reset: settled(client.query(SESSION_RESET_SQL)) }
    }
    const work = new StatementGroup([{ text: startTransactionSql(batch), params: [] }, ...statements])
    const commit = new StatementGroup([{ text: 'COMMIT', params: [] }])
    client.query(work)
    client.query(commit)
    const reset = settled(client.query(SESSION_RESET_SQL))
    // Both settle in order; the COMMIT's own failure (a deferred constraint, a serialization failure) counts only
    // when the statements succeeded.
    const committed = settled(commit.done)
    const answer = work.done.then(async (results) => {
      const outcome = await committed
      if (outcome.error) throw outcome.error
      return results.slice(1)
    })
    // When the statements fail, the COMMIT's outcome is not awaited: mark it handled.
    answer.catch(() => undefined)
    return { answer, reset }
  } finally {
    stream.uncork()
  }
}

/** A promise's outcome as a value, so a rejection nobody awaits yet is never reported as unhandled. */
function settled<T>(promise: Promise<T>): Promise<{ error?: Error }> {
  return promise.then(
    () => ({}),
    (error: Error) => ({ error }),
  )
}

/**
 * Waits for the reset written behind the request. It fails only when the request left a transaction open (a lone
 * `BEGIN`: `DISCARD ALL` cannot run inside one), and then the transaction is rolled back and the reset run again.
 * Any other failure, or a connection already known broken, throws: the pool then discards the connection.
 */
async function finishReset(
  client: PipelinedClient,
  reset: Promise<{ error?: Error }>,
  broken: boolean,
): Promise<void> {
  const { error } = await reset
  if (broken) throw new Error('connection state unknown after a failure: discard it')
  if (!error) return
  if (!isPostgresErrorLike(error) || client.getTransactionStatus() === 'I') throw error
  await client.query('ROLLBACK')
  await client.query(SESSION_RESET_SQL)
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
 * A connection from the pool, or Neon's answer when none comes. Postgres refusing the connection string itself
 * (class 28: no such role, a wrong password; 3D000: no such database; 42501: no CONNECT privilege) is the caller's mistake, answered 400 with
 * Postgres's fields as Neon answers it, so it never looks like an outage. Anything else (refused, unreachable, the
 * database not accepting connections, out of connections, no free one within `poolTimeoutMs`) is Neon's 500
 * "Couldn't connect to compute node": the request never ran, and may succeed later.
 */
async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect()
  } catch (error) {
    if (isPostgresErrorLike(error) && isConnectionStringRefusal(error)) throw toPostgresError(error)
    const reason = error instanceof Error ? error.message : String(error)
    throw new EndpointError(500, `Couldn't connect to compute node: ${reason}`)
  }
}

/** No such database, role or password, or a role without the CONNECT privilege (42501, FATAL at connect). */
function isConnectionStringRefusal({ code, severity }: { code?: string; severity?: string }): boolean {
  return code === '3D000' || (code?.startsWith('28') ?? false) || (code === '42501' && severity === 'FATAL')
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
