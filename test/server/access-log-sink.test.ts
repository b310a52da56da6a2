/** The production server's access log (server/access-log-sink.ts): lines gathered and written in the background, all of them out at a flush. */
import { spawn } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createAccessLogSink } from '../../server/access-log-sink'

const scratch = mkdtempSync(join(tmpdir(), 'edgeline-access-log-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let files = 0
/**
 * A fresh log file and its descriptor, left open: a sink has no close, and its periodic flush would write to a
 * closed descriptor. The process's exit closes them.
 */
function logFile() {
  const path = join(scratch, `access-${++files}.log`)
  return { path, fd: openSync(path, 'w'), read: () => readFileSync(path, 'utf8') }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('the access log sink', () => {
  it('writes one JSON line per entry, in order, when flushed', () => {
    const file = logFile()
    const sink = createAccessLogSink(file.fd, 60_000)
    sink.write({ method: 'GET', path: '/api/health', status: 200 } as never)
    sink.write({ method: 'POST', path: '/api/users', status: 201, note: 'ünïcode' } as never)
    sink.flush()
    expect(file.read()).toBe(
      '{"method":"GET","path":"/api/health","status":200}\n' +
        '{"method":"POST","path":"/api/users","status":201,"note":"ünïcode"}\n',
    )
  })

  it('does not write each line as it comes: a few lines wait for the flush interval', async () => {
    const file = logFile()
    const sink = createAccessLogSink(file.fd, 60_000)
    sink.write({ n: 1 } as never)
    sink.write({ n: 2 } as never)
    await pause(100)
    expect(file.read()).toBe('')
    sink.flush()
    expect(file.read()).toBe('{"n":1}\n{"n":2}\n')
  })

  it('writes what it gathered once the flush interval has passed, with no flush asked', async () => {
    const file = logFile()
    const sink = createAccessLogSink(file.fd, 100)
    sink.write({ n: 1 } as never)
    await pause(600)
    expect(file.read()).toBe('{"n":1}\n')
    sink.flush()
  })

  it('writes in the background once 8 KiB have gathered, before any flush', async () => {
    const file = logFile()
    const sink = createAccessLogSink(file.fd, 60_000)
    const entry = { padding: 'x'.repeat(1000) }
    for (let i = 0; i < 9; i++) sink.write(entry as never)
    // Past 8 KiB: the write goes out on its own (asynchronously), every gathered line at once.
    await pause(200)
    expect(file.read().split('\n').filter(Boolean)).toHaveLength(9)
  })

  it('does nothing (and does not throw) when flushed with nothing pending', () => {
    const file = logFile()
    const sink = createAccessLogSink(file.fd, 60_000)
    expect(() => sink.flush()).not.toThrow()
    expect(file.read()).toBe('')
  })
})

/**
 * A process that logs through a sink on its standard output, flushes, closes the sink and exits 0; `lines` entries,
 * each ~1 KiB, so the sink's background write runs too. Its standard output is a pipe whose reader the test may
 * close first.
 */
const LOG_THEN_STOP = `
  import { createAccessLogSink } from './server/access-log-sink.ts'
  const sink = createAccessLogSink(1, 60_000)
  for (let i = 0; i < Number(process.env.LINES); i++) sink.write({ n: i, padding: 'x'.repeat(1000) })
  await new Promise((resolve) => setTimeout(resolve, 200))
  sink.flush()
  await sink.close()
  process.stderr.write('stopped\\n')
`

async function logThenStopWithoutReader(lines: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', LOG_THEN_STOP], {
    env: { ...process.env, LINES: String(lines) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // The reader of the pipe goes away before anything is written: `npm start | a-log-shipper` whose shipper died.
  child.stdout.destroy()
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    const tooLong = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.on('exit', (code, signal) => {
      clearTimeout(tooLong)
      resolve({ code, signal })
    })
  })
  return { exit, stderr }
}

describe('the access log sink when its reader has gone away (EPIPE)', () => {
  it('keeps the process alive when a background write fails, and says once on stderr that the log is lost', async () => {
    // 50 lines of ~1 KiB pass 8 KiB: a background write meets the broken pipe (an unhandled 'error' ended the process).
    const { exit, stderr } = await logThenStopWithoutReader(50)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(stderr).toContain('stopped')
    expect(stderr.match(/access log lost: its output failed/g)).toHaveLength(1)
    expect(stderr).toContain('"cause":"EPIPE"')
  }, 20_000)

  it('lets the process stop when only the final flush meets the broken pipe', async () => {
    // 3 lines stay gathered until the flush at the stop (sonic-boom 4.2.1 retried that write for ever: killed at 10 s).
    const { exit, stderr } = await logThenStopWithoutReader(3)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(stderr).toContain('stopped')
  }, 20_000)
})
