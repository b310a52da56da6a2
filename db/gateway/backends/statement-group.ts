/** A group of statements written to Postgres as one extended-protocol exchange (one Sync), results kept as raw text. */
import pg from 'pg'
import type { FieldDescription, SqlStatement, StatementResult } from './backend'
import { describeField, parseCommandTag } from './backend'

/** The parts of pg's connection a group writes to (pg passes it to every query it runs). */
interface WireConnection {
  parse(query: { text: string; name?: string }): void
  bind(config: { portal?: string; statement?: string; values?: (string | null)[] }): void
  describe(message: { type: 'P' | 'S'; name?: string }): void
  execute(config: { portal?: string; rows?: number }): void
  sync(): void
  stream: NodeJS.WritableStream & { cork?(): void; uncork?(): void; destroy(error?: Error): void }
}

interface Settle {
  resolve(results: StatementResult[]): void
  reject(error: Error): void
}

interface RowDescriptionMessage {
  fields: FieldDescription[]
}

interface DataRowMessage {
  fields: (string | null)[]
}

interface CommandCompleteMessage {
  text: string
}

/**
 * Why a connection must be thrown away after a `COPY … FROM STDIN`: no data can come over HTTP, and the messages
 * already written behind the COPY (the Sync, the session reset) are swallowed or refused in copy-in mode, so the
 * connection would never be ready again.
 */
export class CopyInRefused extends Error {
  readonly code = '57014'
  readonly severity = 'ERROR'
  constructor() {
    super('COPY from stdin failed: no data can be sent over HTTP')
  }
}

/**
 * Runs `statements` as Neon's proxy runs each one (Parse, Bind, Describe, Execute; every parameter as untyped
 * text, every result as text) but writes all of them, and a single Sync, in one write. Postgres answers them in
 * order; after the first error it skips everything up to the Sync, so no later statement of the group runs.
 * Each result keeps Postgres's own text: the Neon driver parses types on the client.
 *
 * It is a pg `Query` so that pg's client, in pipeline mode, matches it to its answers as it does its own queries:
 * the group's promise settles on the Sync's ReadyForQuery, or on the first error.
 */
/** pg's Query class, typed as this module uses it: @types/pg leaves out the hooks pg's client calls. */
const PgQuery = pg.Query as unknown as new (config: {
  text: string
}) => { callback?: (error: Error | null) => void }

export class StatementGroup extends PgQuery {
  readonly #statements: SqlStatement[]
  readonly #results: StatementResult[] = []
  #fields: FieldDescription[] = []
  #rows: (string | null)[][] = []
  readonly #settle: Settle
  readonly done: Promise<StatementResult[]>

  constructor(statements: SqlStatement[]) {
    // pg needs text to accept the object; what is sent is decided in submit().
    super({ text: statements[0]?.text ?? '' })
    this.#statements = statements
    let settle!: Settle
    this.done = new Promise<StatementResult[]>((resolve, reject) => {
      settle = { resolve, reject }
    })
    this.#settle = settle
    // pg fails a group by handleError (below); this it also calls only on a query_timeout, which is never set here.
    this.callback = (error: Error | null) => {
      if (error) this.#settle.reject(error)
    }
  }

  // The hooks pg's client calls: submit() to write the query, then one per message Postgres answers with.
  submit(connection: unknown): Error | null {
    const wire = connection as WireConnection
    wire.stream.cork?.()
    try {
      for (const statement of this.#statements) {
        wire.parse({ text: statement.text })
        wire.bind({ values: statement.params })
        wire.describe({ type: 'P' })
        wire.execute({})
      }
      wire.sync()
    } finally {
      wire.stream.uncork?.()
    }
    return null
  }

  handleRowDescription(message: RowDescriptionMessage): void {
    this.#fields = message.fields.map(describeField)
  }

  handleDataRow(message: DataRowMessage): void {
    this.#rows.push(message.fields)
  }

  handleCommandComplete(message: CommandCompleteMessage): void {
    const { command, rowCount } = parseCommandTag(message.text)
    this.#finishStatement(command, rowCount)
  }

  /** An empty query string: no CommandComplete, and Neon answers `command ""`. */
  handleEmptyQuery(): void {
    this.#finishStatement('', null)
  }

  handleError(error: Error): void {
    this.#settle.reject(error)
  }

  handleReadyForQuery(): void {
    this.#settle.resolve(this.#results)
  }

  handleCopyInResponse(connection: unknown): void {
    this.#settle.reject(new CopyInRefused())
    ;(connection as WireConnection).stream.destroy()
  }

  handleCopyData(): void {
    // COPY … TO STDOUT: the data has no place in Neon's answer, which reports only the command and its count.
  }

  #finishStatement(command: string, rowCount: number | null): void {
    this.#results.push({ fields: this.#fields, rows: this.#rows, command, rowCount })
    this.#fields = []
    this.#rows = []
  }
}
