/** Deadlines and the one safe retry for the driver's requests: edge-safe, plain Web APIs only. */
import type { SqlFetch } from './client'
import { isPlainRead } from './plain-read'

/**
 * `fetchOptions` whose `signal` is a fresh deadline each time the driver reads it. The driver spreads its
 * `fetchOptions` into every request it makes, so the getter runs once per request: each database call gets its
 * own `timeoutMs`, combined with the caller's own signal when there is one.
 */
export function withDeadline(timeoutMs: number, options: RequestInit = {}): RequestInit {
  const callerSignal = options.signal ?? undefined
  const { signal: _, ...rest } = options
  return Object.defineProperty(rest, 'signal', {
    enumerable: true,
    get: () => deadlineSignal(timeoutMs, callerSignal),
  })
}

function deadlineSignal(timeoutMs: number, callerSignal: AbortSignal | undefined): AbortSignal {
  // AbortSignal.timeout's timer never keeps a Node process alive; its reason is a `TimeoutError` DOMException,
  // which is how db/errors.ts tells a deadline from any other failure.
  const timeout = AbortSignal.timeout(timeoutMs)
  return callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout
}

/**
 * Wraps the driver's fetch so that a single SELECT whose request never got an answer (the connection failed or
 * was reset: `fetch` itself rejected) is sent once more, inside the same deadline. Reads are idempotent; writes,
 * batches and anything aborted are never sent twice, since the first may have been applied.
 */
export function withReadRetry(fetchFunction: SqlFetch | undefined): SqlFetch {
  return async (url, init) => {
    // Looked up per call, not captured: the edge sandbox and tests may install their own global fetch.
    const send = fetchFunction ?? ((input: string, request: RequestInit) => fetch(input, request))
    try {
      return await send(url, init)
    } catch (error) {
      if (init.signal?.aborted || !isSingleSelect(init.body)) throw error
      return send(url, init)
    }
  }
}

function isSingleSelect(body: RequestInit['body']): boolean {
  if (typeof body !== 'string') return false
  try {
    const { query } = JSON.parse(body) as { query?: unknown }
    return typeof query === 'string' && isPlainRead(query)
  } catch {
    return false
  }
}
