/**
 * The e2e suite's `fetch`: every /api/* answer it (or Chromium) receives is checked against the OpenAPI document
 * that the same server publishes, and `expectEveryApiAnswerDocumented()` (each file's afterAll) asserts that none
 * departed from it. Knows nothing of how the server was started: the document comes from each answer's own origin.
 */
import type { Response as BrowserResponse } from 'playwright-core'
import { expect } from 'vitest'
import {
  createResponseChecker,
  type OpenApiDocument,
  type ResponseChecker,
  ResponseLedger,
} from '../support/openapi-responses'

const checkers = new Map<string, Promise<ResponseChecker>>()

/** The checker of the document served at `origin`, fetched once (with the platform's fetch: it checks nothing). */
function checkerFor(origin: string): Promise<ResponseChecker> {
  let checker = checkers.get(origin)
  if (!checker) {
    checker = fetch(`${origin}/api/openapi.json`).then(async (response) => {
      if (response.status !== 200) throw new Error(`${origin}/api/openapi.json answered ${response.status}`)
      return createResponseChecker((await response.json()) as OpenApiDocument)
    })
    checkers.set(origin, checker)
  }
  return checker
}

const ledgers = new Map<string, ResponseLedger>()
const pending = new Set<Promise<void>>()

function ledgerFor(origin: string): ResponseLedger {
  let ledger = ledgers.get(origin)
  if (!ledger) {
    ledger = new ResponseLedger(() => checkerFor(origin))
    ledgers.set(origin, ledger)
  }
  return ledger
}

/** `fetch`, plus the check of its answer. The answer is returned unread. */
export async function checkedFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(input, init)
  // A followed redirect shows only its last hop, which the client fetched with GET (a 303, as ours are).
  const method = response.redirected ? 'GET' : (init.method ?? 'GET')
  const url = new URL(response.url || String(input))
  await ledgerFor(url.origin).record(method, url, response)
  return response
}

/** Checks an answer Chromium received (`page.on('response', checkBrowserAnswer)`), before the final check. */
export function checkBrowserAnswer(response: BrowserResponse): void {
  const url = new URL(response.url())
  if (!url.pathname.startsWith('/api/')) return
  const task = (async () => {
    const status = response.status()
    // A redirect's body is not kept by the browser; ours are empty.
    const body = status >= 300 && status < 400 ? '' : await response.text().catch(() => '')
    const headers = new Headers(
      Object.entries(await response.allHeaders()).filter(([name]) => name !== 'set-cookie'),
    )
    const answer = new Response(body || null, { status, headers })
    await ledgerFor(url.origin).record(response.request().method(), url, answer)
  })()
  pending.add(task)
  void task.finally(() => pending.delete(task))
}

/** The final check of a file: every API answer it received is one the document describes. */
export async function expectEveryApiAnswerDocumented(): Promise<void> {
  await Promise.all(pending)
  const tallies = [...ledgers].map(([origin, ledger]) => ({ origin, ...ledger }))
  for (const { origin, checked, skipped, violations } of tallies) {
    console.info(
      `${origin}: ${checked} API answers checked against its OpenAPI document, ${violations.length} outside it ` +
        `(${skipped} of the document and reference themselves not checked)`,
    )
  }
  expect(tallies.flatMap(({ violations }) => violations)).toEqual([])
  expect(tallies.reduce((sum, { checked }) => sum + checked, 0)).toBeGreaterThan(0)
}
