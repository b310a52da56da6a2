/** The access log on Node: one JSON line per request, written asynchronously, never lost on a clean shutdown. */
import SonicBoom from 'sonic-boom'
import type { LogWriter } from '../edge/middleware/access-log'

export interface AccessLogSink {
  write: LogWriter
  /** Writes out what is still buffered, now; for an exit that cannot wait. */
  flush(): void
  /** Waits for every line written so far to be out, including one write already under way; for a clean stop. */
  close(): Promise<void>
}

/**
 * `console.log` writes each line synchronously, and under load that write was half of the API's busy time.
 * sonic-boom (pino's writer) queues lines and writes them in the background, many per system call.
 */
export function createAccessLogSink(fd = 1, flushEveryMs = 200): AccessLogSink {
  // Lines gather up to 8 KiB, or for `flushEveryMs` at most, then go out in one write: under load that is one
  // system call for dozens of requests instead of one each.
  // Buffers, not strings: in its text mode sonic-boom appends each line to the pending text and measures that
  // text's UTF-8 length again on every write (up to 8 KiB each time); buffers it only counts.
  const stream = new SonicBoom({
    fd,
    sync: false,
    minLength: 8 * 1024,
    periodicFlush: flushEveryMs,
    contentMode: 'buffer',
  })
  // A write that fails for good (the reader of a pipe went away: EPIPE; the descriptor closed: EBADF) is emitted as
  // 'error', which unhandled would end the server: the log is lost, the requests must not be. From then on lines
  // are dropped, and stderr (often still read when stdout is not) says so once.
  let lostBecause: string | undefined
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (lostBecause) return
    lostBecause = error.code ?? error.message
    try {
      process.stderr.write(
        `${JSON.stringify({ level: 'error', message: 'access log lost: its output failed', cause: lostBecause })}\n`,
      )
    } catch {
      // stderr is gone too: nothing left to tell.
    }
  })
  return {
    write: (entry) => {
      if (lostBecause) return
      // sonic-boom's types know only its text mode; in buffer mode `write` takes a Buffer.
      stream.write(Buffer.from(`${JSON.stringify(entry)}\n`) as unknown as string)
    },
    flush,
    close: () =>
      new Promise<void>((resolve) => {
        // flushSync alone could write the newest lines while an earlier asynchronous write is still under way:
        // wait for that one first (its callback also runs after a failed fsync, as on a pipe), then the rest.
        const giveUp = setTimeout(done, 1000)
        let finished = false
        function done() {
          if (finished) return
          finished = true
          clearTimeout(giveUp)
          flush()
          resolve()
        }
        try {
          stream.flush(() => done())
        } catch {
          done()
        }
      }),
  }

  function flush() {
    if (lostBecause) return
    try {
      stream.flushSync()
    } catch {
      // Nothing was pending, or the reader went away (a closed pipe): nothing more can be saved. (sonic-boom before
      // 5.0 retried such a write for ever instead of throwing, and a stop never ended.)
    }
  }
}
