/** Which port `npm run dev` gives Next, and Next's other arguments without any port flag, so one port is printed and used. */

export const DEFAULT_DEV_PORT = 3000

export interface DevListen {
  port: number
  /** The arguments for `next dev` other than the port (`--hostname`, `--turbopack`, …), in their order. */
  nextArgs: string[]
}

/**
 * `--port N`, `--port=N`, `-p N` or `-pN` (the last one wins, as with Next's own parser), else PORT, else 3000.
 * Next would take the last `--port` it is given too, but the banner and the printed `curl` must name the same
 * port, so the choice is made here once and Next receives exactly one `--port`.
 */
export function chooseDevPort(argv: readonly string[], env: Record<string, string | undefined>): DevListen {
  let chosen: string | undefined
  let source = 'PORT'
  const nextArgs: string[] = []
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string
    if (arg === '--port' || arg === '-p') {
      chosen = argv[index + 1] ?? ''
      source = arg
      index += 1
    } else if (arg.startsWith('--port=')) {
      chosen = arg.slice('--port='.length)
      source = '--port'
    } else if (/^-p\d/.test(arg)) {
      chosen = arg.slice(2)
      source = '-p'
    } else {
      nextArgs.push(arg)
    }
  }
  const value = chosen ?? (env.PORT || undefined)
  if (value === undefined) return { port: DEFAULT_DEV_PORT, nextArgs }
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!(port >= 1 && port <= 65535)) {
    throw new Error(
      `Invalid port for ${chosen === undefined ? 'PORT' : source}: "${value}" (expected 1–65535)`,
    )
  }
  return { port, nextArgs }
}
