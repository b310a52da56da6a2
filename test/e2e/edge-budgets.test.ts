/**
 * The production build's edge functions stay within their budgets (gzip of every file each one loads; decision
 * 0021). Over the build the e2e setup made; `npm run size:edge` prints the same figures.
 */
import { describe, expect, it } from 'vitest'
import { budgetOf, EDGE_BUDGETS, kib, readEdgeFunctions } from '../../scripts/lib/edge-functions'

const functions = readEdgeFunctions()

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
})
