/** The access log on Node: one JSON line per request, written asynchronously, never lost on a clean shutdown. */
import SonicBoom from 'sonic-boom'
import type { LogWriter } from '../edge/middleware/access-log'

export interface AccessLogSink {
  write: LogWriter
  /** Writes out what is still buffered; call it last on shutdown. */
  flush(): void
}

/**
 * `console.log` writes each line synchronously, and under load that write was half of the API's busy time.
 * sonic-boom (pino's writer) queues lines and writes them in the background, many per system call.
 */
export function createAccessLogSink(fd = 1, flushEveryMs = 200): AccessLogSink {
  // Lines gather up to 8 KiB, or for `flushEveryMs` at most, then go out in one write: under load that is one
  // system call for dozens of requests instead of one each.
  const stream = new SonicBoom({ fd, sync: false, minLength: 8 * 1024, periodicFlush: flushEveryMs })
  return {
    write: (entry) => {
      stream.write(`${JSON.stringify(entry)}\n`)
    },
    flush: () => {
      try {
        stream.flushSync()
      } catch {
        // Nothing was pending, or the reader went away (a closed pipe): nothing more can be saved.
      }
    },
  }
}
