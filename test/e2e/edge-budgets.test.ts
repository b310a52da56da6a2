/**
 * The production build's edge functions stay within their budgets (gzip of every file each one loads; decision
 * 0021), and carry none of the API document's prose (decision 0038) nor zod's JSON Schema conversion (0041). Over the build the e2e setup made;
 * `npm run size:edge` prints the same figures.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { budgetOf, EDGE_BUDGETS, kib, readEdgeFunctions } from '../../scripts/lib/edge-functions'

const functions = readEdgeFunctions()

/**
 * The start of each description the document holds for an operation, a parameter or a schema (`.meta()`). A start,
 * as the source may write a long text in concatenated pieces. Not a response's: those echo the problems' details,
 * which the functions do say.
 */
function documentProse(): string[] {
  const descriptions: string[] = []
  const collect = (node: unknown, inResponses: boolean): void => {
    if (typeof node !== 'object' || node === null) return
    for (const [key, value] of Object.entries(node)) {
      if (key === 'description' && typeof value === 'string' && !inResponses) descriptions.push(value)
      // A response's own description sits right under its status; its schema's, deeper, are the schemas' prose.
      else if (key === 'responses') for (const response of Object.values(value ?? {})) collect(response, true)
      else collect(value, false)
    }
  }
  collect(JSON.parse(readFileSync('public/api/openapi.json', 'utf8')), false)
  // The generator writes the HEAD operations' texts itself; short ones could be any function's words.
  return [...new Set(descriptions)]
    .filter((text) => text.length >= 24 && !text.startsWith('The status and headers of'))
    .map((text) => text.slice(0, 40))
}

describe('the edge functions of the production build', () => {
  it('are exactly the ones with a budget: a new function needs one before it ships', () => {
    expect(functions.map((fn) => fn.name).sort()).toEqual(
      EDGE_BUDGETS.flatMap((budget) => budget.names).sort(),
    )
  })

  it.each(functions.map((fn) => [fn.name, fn] as const))('keeps %s within its budget', (_name, fn) => {
    const budget = budgetOf(fn.name)
    expect(budget, `${fn.name} has no budget`).toBeDefined()
    const size = kib(fn.gzipBytes)
    expect(size, `${fn.name}: ${size.toFixed(1)} KiB gzip, budget ${budget?.kib} KiB`).toBeLessThanOrEqual(
      budget?.kib ?? 0,
    )
  })

  it("carry none of the API document's prose: it is built into the document, which no function reads", () => {
    const prose = documentProse()
    expect(prose.length).toBeGreaterThan(30)
    for (const fn of functions) {
      const code = fn.files.map((file) => readFileSync(join('.next', file), 'utf8')).join('\n')
      expect(
        prose.filter((text) => code.includes(text)),
        fn.name,
      ).toEqual([])
    }
  })

  it("carry none of zod's JSON Schema conversion: next.config.ts puts a substitute in its place", () => {
    // Messages of zod's json-schema-processors.js and to-json-schema.js, which would come with them.
    const marks = ['cannot be represented in JSON Schema', 'Error converting schema to JSON.']
    const holdingZod = functions.filter((fn) =>
      fn.files.some((file) =>
        readFileSync(join('.next', file), 'utf8').includes('zod JSON Schema conversion is not'),
      ),
    )
    // The API, the form handlers and the pages that validate a query: the substitute is what they hold.
    expect(holdingZod.map((fn) => fn.name)).toContain('/api/[[...route]]/route')
    for (const fn of functions) {
      const code = fn.files.map((file) => readFileSync(join('.next', file), 'utf8')).join('\n')
      expect(
        marks.filter((mark) => code.includes(mark)),
        fn.name,
      ).toEqual([])
    }
  })
})
