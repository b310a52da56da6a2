/** `npm run size:edge` (after `npm run build`): the size of every edge function of the build, raw and gzipped. */
import { budgetOf, kib, readEdgeFunctionsOrExit } from './lib/edge-functions'

const functions = readEdgeFunctionsOrExit()
const show = (bytes: number) => `${kib(bytes).toFixed(0)} KiB`
console.log('edge function                     raw        gzip     budget')
for (const fn of functions) {
  const budget = budgetOf(fn.name)
  const over = budget && kib(fn.gzipBytes) > budget.kib ? '  OVER' : ''
  const limit = budget ? `${budget.kib} KiB` : 'none'
  console.log(
    `${fn.name.padEnd(32)}  ${show(fn.rawBytes).padStart(8)}  ${show(fn.gzipBytes).padStart(8)}  ${limit.padStart(9)}${over}`,
  )
}
