/** Turns backend results into Neon's JSON reply: text rows by default, or the proxy's typed/object forms on request. */
import type { StatementResult } from './backends/backend'

export interface RenderOptions {
  /** `Neon-Array-Mode: true` (what the driver always sends): rows as arrays in column order. */
  arrayMode: boolean
  /** `Neon-Raw-Text-Output: true` (what the driver always sends): every value as Postgres text. */
  rawText: boolean
}

export interface RenderedResult {
  fields: StatementResult['fields']
  rows: unknown[]
  command: string
  rowCount: number | null
  rowAsArray: boolean
}

export function renderResult(result: StatementResult, options: RenderOptions): RenderedResult {
  const convert = options.rawText ? null : result.fields.map((field) => typedValueParser(field.dataTypeID))
  const rows = result.rows.map((row) => {
    const values = convert
      ? row.map((value, i) => (value === null ? null : (convert[i] as Parser)(value)))
      : row
    if (options.arrayMode) return values
    const object: Record<string, unknown> = {}
    result.fields.forEach((field, i) => {
      object[field.name] = values[i]
    })
    return object
  })
  return {
    fields: result.fields,
    rows,
    command: result.command,
    rowCount: result.rowCount,
    rowAsArray: options.arrayMode,
  }
}

type Parser = (text: string) => unknown

const BOOL = 16
const INTEGER_TYPES = new Set([21, 23, 26])
const FLOAT_TYPES = new Set([700, 701])
const JSON_TYPES = new Set([114, 3802])

/** Without raw text, Neon's proxy types the JSON it returns for these scalars and leaves the rest as text. */
function typedValueParser(dataTypeID: number): Parser {
  if (dataTypeID === BOOL) return (text) => text === 't'
  if (INTEGER_TYPES.has(dataTypeID)) return Number
  if (FLOAT_TYPES.has(dataTypeID)) return (text) => (Number.isFinite(Number(text)) ? Number(text) : text)
  if (JSON_TYPES.has(dataTypeID)) return (text) => JSON.parse(text)
  return (text) => text
}
