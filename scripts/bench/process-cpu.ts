/**
 * The CPU time a process has used so far, from /proc (Linux): what `bench:api` divides by the requests served, a
 * figure that other load on a shared machine disturbs far less than requests per second.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let ticksPerSecond: number | undefined

/** User plus system CPU time of `pid` (all its threads) in milliseconds, or undefined where /proc is missing. */
export function processCpuMilliseconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    // The command name (field 2) may hold spaces and parentheses: count fields from after its closing one.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of the whole line, so 12 and 13 counted from field 3.
    const ticks = Number(fields[11]) + Number(fields[12])
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100
    return (ticks / ticksPerSecond) * 1000
  } catch {
    return undefined
  }
}
