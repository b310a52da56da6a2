/** Makes an in-process app check its every /api/* answer against its own OpenAPI document, failing at once if not. */
import type { App } from '../../edge/app'
import { openApiDocument } from '../../edge/openapi-document'
import {
  createResponseChecker,
  type OpenApiDocument,
  type ResponseChecker,
  ResponseLedger,
} from './openapi-responses'

/** One checker per distinct document: the apps of a test file share it, and ajv compiles each schema once. */
const checkers = new Map<string, ResponseChecker>()

function checkerOf(app: App): ResponseChecker {
  // The same function builds the served document; no request, so the test's access log stays its own.
  const text = JSON.stringify(openApiDocument(app))
  let checker = checkers.get(text)
  if (!checker) {
    checker = createResponseChecker(JSON.parse(text) as OpenApiDocument)
    checkers.set(text, checker)
  }
  return checker
}

/**
 * Replaces `app.request` with one that checks each answer and throws, naming every departure, when the document
 * does not describe it: the test that provoked it fails right there.
 */
export function checkAnswersAgainstDocument(app: App): void {
  const request = app.request
  const ledger = new ResponseLedger(async () => checkerOf(app))
  app.request = async (input, init, ...rest) => {
    const response = await request(input, init, ...rest)
    const url = input instanceof Request ? new URL(input.url) : new URL(String(input), 'http://localhost')
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    const before = ledger.violations.length
    await ledger.record(method, url, response)
    const found = ledger.violations.slice(before)
    if (found.length > 0) throw new Error(`an answer outside the OpenAPI document:\n${found.join('\n')}`)
    const accepted = acceptedJsonBody(init, response)
    if (accepted !== undefined) {
      const refused = (await checkerOf(app)).checkAcceptedRequest(
        method.toUpperCase(),
        url.pathname,
        accepted.body,
      )
      if (refused.length > 0) {
        throw new Error(`a request the API accepted but its OpenAPI document refuses:\n${refused.join('\n')}`)
      }
    }
    return response
  }
}

/** The JSON body of a request the API accepted (a 2xx answer), or undefined for any other request. */
function acceptedJsonBody(init: RequestInit | undefined, response: Response): { body: unknown } | undefined {
  if (response.status < 200 || response.status > 299 || typeof init?.body !== 'string') return undefined
  const contentType = new Headers(init.headers).get('content-type') ?? ''
  if (!/^application\/json\b/i.test(contentType)) return undefined
  try {
    return { body: JSON.parse(init.body) }
  } catch {
    return undefined
  }
}
