/** Reads a `/sql` request body: one statement or a batch, with parameters turned into Postgres text. */
import type { SqlStatement } from './backends/backend'
import { EndpointError } from './errors'

export interface ParsedBody {
  statements: SqlStatement[]
  /** True when the body was `{queries: [...]}`: run as one transaction, even when it holds one statement. */
  isBatch: boolean
  /** Per-statement array-mode overrides (`arrayMode` in the body); undefined means "use the header". */
  arrayModes: (boolean | undefined)[]
}

/** Parses the JSON body; anything that is not Neon's shape is refused with the proxy's message prefix. */
export function parseRequestBody(text: string): ParsedBody {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw bodyError((error as Error).message)
  }
  if (isObject(json) && 'query' in json) {
    const { statement, arrayMode } = readStatement(json, 'body')
    return { statements: [statement], isBatch: false, arrayModes: [arrayMode] }
  }
  if (isObject(json) && Array.isArray(json.queries)) {
    const read = json.queries.map((query, index) => readStatement(query, `queries[${index}]`))
    return {
      statements: read.map((entry) => entry.statement),
      isBatch: true,
      arrayModes: read.map((entry) => entry.arrayMode),
    }
  }
  throw bodyError('expected an object with "query" or "queries"')
}

function readStatement(value: unknown, where: string): { statement: SqlStatement; arrayMode?: boolean } {
  if (!isObject(value) || typeof value.query !== 'string')
    throw bodyError(`${where}: "query" must be a string`)
  const params = value.params ?? []
  if (!Array.isArray(params)) throw bodyError(`${where}: "params" must be an array`)
  if (value.arrayMode !== undefined && typeof value.arrayMode !== 'boolean') {
    throw bodyError(`${where}: "arrayMode" must be a boolean`)
  }
  return {
    statement: { text: value.query, params: params.map(toPostgresText) },
    arrayMode: value.arrayMode as boolean | undefined,
  }
}

/**
 * A JSON parameter as Postgres text, following Neon's proxy: strings as they are, null as NULL, arrays as array
 * literals, anything else as its JSON text. The Neon driver only ever sends strings and nulls.
 */
export function toPostgresText(value: unknown): string | null {
  if (value === null) return null
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return `{${value.map(toArrayElement).join(',')}}`
  return JSON.stringify(value)
}

function toArrayElement(value: unknown): string {
  if (value === null) return 'NULL'
  if (Array.isArray(value)) return toPostgresText(value) as string
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function bodyError(reason: string): EndpointError {
  return new EndpointError(400, `could not parse the HTTP request body: ${reason}`)
}
