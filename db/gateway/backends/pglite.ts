/** The embedded backend: PGlite driven with raw extended-protocol messages, exactly as Neon's proxy drives Postgres. */
import { mkdir } from 'node:fs/promises'
import { PGlite, protocol } from '@electric-sql/pglite'
import { cancelledError, EndpointError, isPostgresErrorLike, toPostgresError } from '../errors'
import {
  describeField,
  parseCommandTag,
  type RunRequest,
  SESSION_DEFAULTS,
  SESSION_RESET_SQL,
  type SqlBackend,
  type SqlStatement,
  type StatementResult,
  startTransactionSql,
} from './backend'
import { SerialQueue } from './serial-queue'

type BackendMessage = Awaited<ReturnType<PGlite['execProtocol']>>['messages'][number]
type RowDescription = InstanceType<typeof protocol.messages.RowDescriptionMessage>
type DataRow = InstanceType<typeof protocol.messages.DataRowMessage>
type CommandComplete = InstanceType<typeof protocol.messages.CommandCompleteMessage>
type ReadyForQuery = InstanceType<typeof protocol.messages.ReadyForQueryMessage>

export interface PgliteBackendOptions {
  /** A folder that keeps the data across restarts; omit for an in-memory database. */
  dataDir?: string
}

const { serialize } = protocol

const COPY_IN_REFUSAL = 'COPY FROM STDIN is not supported over SQL-over-HTTP'

/** Starts PGlite (initdb on first use of a folder, which takes seconds) and returns the backend around it. */
export async function createPgliteBackend(options: PgliteBackendOptions = {}): Promise<SqlBackend> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true })
  const db = await PGlite.create(options.dataDir, {
    // Written to postgresql.conf, so `DISCARD ALL` (RESET ALL) returns to these after every request.
    postgresqlconf: Object.entries(SESSION_DEFAULTS).map(([name, value]) => `${name} = '${value}'`),
  })
  // PGlite runs Postgres in single-user mode, where `SET SESSION AUTHORIZATION DEFAULT` (part of DISCARD ALL)
  // has no default to return to: the reset names the user the database started as instead.
  const { rows } = await db.query<{ name: string }>('SELECT session_user AS name')
  return new PgliteBackend(db, `SET SESSION AUTHORIZATION ${quoteIdentifier(rows[0]?.name ?? 'postgres')}`)
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

class PgliteBackend implements SqlBackend {
  readonly #db: PGlite
  // PGlite is one connection: a batch must run alone, so requests take turns.
  readonly #queue = new SerialQueue()
  #transactionStatus = 'I'
  readonly #restoreSessionUser: string

  constructor(db: PGlite, restoreSessionUser: string) {
    this.#db = db
    this.#restoreSessionUser = restoreSessionUser
  }

  run(request: RunRequest): Promise<StatementResult[]> {
    return this.#queue.run(async () => {
      // A client that gave up while waiting in line never reaches the database. PGlite runs on this thread and
      // blocks it while a statement runs, so first let pending socket events (a client's hang-up) be seen.
      await yieldToEventLoop()
      if (request.signal.aborted) throw cancelledError()
      try {
        return await this.#runStatements(request)
      } finally {
        await this.#resetSession()
      }
    })
  }

  async close(): Promise<void> {
    await this.#queue.drain()
    await this.#db.close()
  }

  async #runStatements({ statements, batch, signal }: RunRequest): Promise<StatementResult[]> {
    if (!batch) return [await this.#execute(statements[0] as SqlStatement)]
    await this.#simpleQuery(startTransactionSql(batch))
    const results: StatementResult[] = []
    for (const statement of statements) {
      // PGlite cannot interrupt a running statement, but a batch stops between statements and rolls back.
      await yieldToEventLoop()
      if (signal.aborted) throw cancelledError()
      results.push(await this.#execute(statement))
    }
    // The client may have left while the last statement held the thread: Neon rolls such a batch back.
    await yieldToEventLoop()
    if (signal.aborted) throw cancelledError()
    await this.#simpleQuery('COMMIT')
    return results
  }

  /**
   * Parse + Bind + Describe + Execute + Sync: one unnamed prepared statement, text in and text out. A CopyFail goes
   * before the Sync: a `COPY … FROM STDIN` would otherwise wait for data that can never come over HTTP (PGlite
   * then never returns), and Postgres ignores a CopyFail outside copy-in mode, so other statements are unaffected.
   */
  async #execute(statement: SqlStatement): Promise<StatementResult> {
    const messages = await this.#send([
      serialize.parse({ text: statement.text }),
      serialize.bind({ values: statement.params }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.copyFail(COPY_IN_REFUSAL),
      serialize.sync(),
    ])
    return collectResult(messages)
  }

  async #simpleQuery(sql: string): Promise<void> {
    await this.#send([serialize.query(sql)])
  }

  async #send(parts: Uint8Array[]): Promise<BackendMessage[]> {
    let messages: BackendMessage[]
    try {
      ;({ messages } = await this.#db.execProtocol(concat(parts), { throwOnError: false }))
    } catch (error) {
      throw new EndpointError(500, `embedded database failed: ${(error as Error).message}`)
    }
    for (const message of messages) {
      if (message.name === 'readyForQuery') this.#transactionStatus = (message as ReadyForQuery).status
    }
    const failure = messages.find((message) => message.name === 'error')
    if (failure && isPostgresErrorLike(failure)) throw toPostgresError(failure)
    return messages
  }

  /** Neon resets every connection after a request; this is the same reset, on the one connection PGlite has. */
  async #resetSession(): Promise<void> {
    if (this.#transactionStatus !== 'I') await this.#simpleQuery('ROLLBACK').catch(() => undefined)
    await this.#simpleQuery(SESSION_RESET_SQL).catch(() => undefined)
    await this.#simpleQuery(this.#restoreSessionUser).catch(() => undefined)
  }
}

function collectResult(messages: BackendMessage[]): StatementResult {
  const result: StatementResult = { fields: [], rows: [], command: '', rowCount: null }
  for (const message of messages) {
    if (message.name === 'rowDescription')
      result.fields = (message as RowDescription).fields.map(describeField)
    else if (message.name === 'dataRow') result.rows.push((message as DataRow).fields as (string | null)[])
    else if (message.name === 'commandComplete')
      Object.assign(result, parseCommandTag((message as CommandComplete).text))
  }
  return result
}

/** Resolves after the event loop has polled for I/O at least once (two check phases bracket one poll phase). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)))
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
