/**
 * Throwaway Postgres servers of the tests' own (a standby, a server with TLS): Debian's binaries, run as the
 * `postgres` OS user, on a free port.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'

/** Debian's layout; PG_BIN overrides it (another version, another distribution). */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** The command line that runs `command` as the `postgres` OS user (Postgres refuses root; its files are postgres's). */
export function asPostgresArgv(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', command, ...args]]
  if (process.env.USER === 'postgres') return [command, args]
  return ['sudo', ['-n', '-u', 'postgres', command, ...args]]
}

export async function asPostgres(command: string, args: string[], input?: string): Promise<string> {
  const [file, fullArgs] = asPostgresArgv(command, args)
  return runWithInput(file, fullArgs, input)
}

export function runWithInput(file: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${file}: ${output}`))))
    child.stdin.end(input ?? '')
  })
}

/** A TCP port nobody listens on now, for a server about to start. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
