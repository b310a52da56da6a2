/**
 * Checks answers of the API against its own OpenAPI document: status, media type, body schema, required headers.
 * Used by the e2e suite (over HTTP, test/e2e/checked-fetch.ts) and by the edge API tests (in process).
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { requestLineProblem } from '../../edge/request-line'

// Enough of an OpenAPI 3.1 document for this check; the rest is read by ajv through JSON Pointers.
interface Header {
  $ref?: string
  required?: boolean
  schema?: object
}
interface ResponseObject {
  $ref?: string
  headers?: Record<string, Header>
  content?: Record<string, { schema?: object }>
}
interface Operation {
  responses?: Record<string, ResponseObject>
  requestBody?: { content?: Record<string, { schema?: object }> }
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>
  components?: { responses?: Record<string, ResponseObject>; headers?: Record<string, Header> }
  'x-edgeline-unmatched'?: Partial<
    Record<
      'method' | 'path' | 'session' | 'preflight' | 'unimplementedMethod' | 'malformedPath',
      { $ref: string }
    >
  >
}

/** One answer as the client saw it. `path` is the URL's pathname, as sent. */
export interface ObservedResponse {
  method: string
  path: string
  status: number
  headers: Headers
  body: string
}

/**
 * Not operations of the API but its documentation: the document itself (it cannot sensibly describe its own JSON
 * beyond "an object") and the HTML reference. Counted apart, so a report says what was skipped.
 */
export const DOCUMENTATION_PATHS: ReadonlySet<string> = new Set(['/api/openapi.json', '/api/docs'])

const OPERATION_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'])

/** JSON Pointer escaping (RFC 6901) of one reference token. */
const pointerToken = (token: string) => token.replaceAll('~', '~0').replaceAll('/', '~1')

/** A document's path template (`/api/users/{id}`) as a regular expression over one path's segments. */
function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`)
}

export interface ResponseChecker {
  /** Every way `response` departs from the document; empty when it is one of the answers the document describes. */
  check(response: ObservedResponse): string[]
  /**
   * Every way a JSON request body the API accepted departs from the operation's request schema: what the server
   * accepts, the document must not refuse (a client or proxy that validates requests by it would).
   */
  checkAcceptedRequest(method: string, path: string, body: unknown): string[]
}

export function createResponseChecker(document: OpenApiDocument): ResponseChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
  addFormats(ajv)
  // OpenAPI's own format for secrets: any string; a note for UIs, not a constraint.
  ajv.addFormat('password', true)
  ajv.addSchema(document as object, 'openapi.json')
  const compiled = new Map<string, ValidateFunction>()
  const validatorAt = (pointer: string) => {
    let validate = compiled.get(pointer)
    if (!validate) {
      validate = ajv.getSchema(`openapi.json#${pointer}`)
      if (!validate) throw new Error(`no schema at ${pointer} in the document`)
      compiled.set(pointer, validate)
    }
    return validate
  }

  // Literal paths first, so `/api/users/me` would never be taken for `/api/users/{id}`.
  const templates = Object.keys(document.paths)
    .map((template) => ({ template, pattern: templatePattern(template) }))
    .sort((a, b) => Number(a.template.includes('{')) - Number(b.template.includes('{')))

  /** The pointer and object of a response, following one `$ref` to a component. */
  function resolve(pointer: string, response: ResponseObject): [string, ResponseObject] {
    if (!response.$ref) return [pointer, response]
    const name = response.$ref.replace('#/components/responses/', '')
    const target = document.components?.responses?.[name]
    if (!target) throw new Error(`unresolved ${response.$ref}`)
    return [`/components/responses/${pointerToken(name)}`, target]
  }

  /** The pointer and object of a header, following one `$ref` to a component. */
  function resolveHeader(pointer: string, header: Header): [string, Header] {
    if (!header.$ref) return [pointer, header]
    const name = header.$ref.replace('#/components/headers/', '')
    const target = document.components?.headers?.[name]
    if (!target) throw new Error(`unresolved ${header.$ref}`)
    return [`/components/headers/${pointerToken(name)}`, target]
  }

  function checkAgainst(pointer: string, response: ResponseObject, observed: ObservedResponse): string[] {
    const [at, definition] = resolve(pointer, response)
    const problems: string[] = []
    for (const [name, declared] of Object.entries(definition.headers ?? {})) {
      const [headerAt, header] = resolveHeader(`${at}/headers/${pointerToken(name)}`, declared)
      const value = observed.headers.get(name)
      if (value === null) {
        if (header.required) problems.push(`lacks the required header ${name}`)
        continue
      }
      if (header.schema) {
        const validate = validatorAt(`${headerAt}/schema`)
        const typed = (header.schema as { type?: string }).type === 'integer' ? Number(value) : value
        if (!validate(typed)) {
          problems.push(`header ${name} (${value}): ${ajv.errorsText(validate.errors, { dataVar: 'value' })}`)
        }
      }
    }
    const content = definition.content
    const hasBody = observed.body.length > 0 && observed.method !== 'HEAD'
    if (!content) {
      if (hasBody) problems.push(`has a body, where the document describes none`)
      return problems
    }
    if (observed.method === 'HEAD') return problems
    const mediaType = (observed.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    if (!(mediaType in content)) {
      problems.push(
        `is ${mediaType || 'untyped'}, where the document says ${Object.keys(content).join(' or ')}`,
      )
      return problems
    }
    if (!content[mediaType]?.schema) return problems
    let body: unknown
    try {
      body = JSON.parse(observed.body)
    } catch {
      problems.push(`is not JSON: ${observed.body.slice(0, 80)}`)
      return problems
    }
    const validate = validatorAt(`${at}/content/${pointerToken(mediaType)}/schema`)
    if (!validate(body)) {
      problems.push(
        `body ${ajv.errorsText(validate.errors, { dataVar: 'body' })}: ${observed.body.slice(0, 300)}`,
      )
    }
    return problems
  }

  /** The response a status selects among an operation's (or a component's), as OpenAPI ranks them. */
  function selectResponse(responses: Record<string, ResponseObject>, status: number) {
    for (const key of [String(status), `${String(status)[0]}XX`, 'default']) {
      const response = responses[key]
      if (response) return { key, response }
    }
    return undefined
  }

  return {
    check(observed) {
      const method = observed.method.toLowerCase()
      const name = `${observed.method} ${observed.path} ${observed.status}`
      const unmatched = document['x-edgeline-unmatched']
      const matched = templates.find(({ pattern }) => pattern.test(observed.path))
      const fallback = (kind: 'method' | 'path', expected: number) => {
        // Without a session, deny by default comes before routing: 401 on any path that is not public.
        const which =
          observed.status === 401
            ? 'session'
            : observed.status === expected
              ? kind
              : method === 'options' && observed.status === 204
                ? 'preflight'
                : undefined
        const ref = which && unmatched?.[which]
        if (!ref)
          return [`${name}: no operation matches, and only ${expected} or 401 are documented for that`]
        return checkAgainst('', ref, observed).map((problem) => `${name} ${problem}`)
      }
      // A method no route implements, or a path that does not decode: refused first, whatever else is true.
      const refused = requestLineProblem(observed.method, observed.path)
      if (refused) {
        const ref = unmatched?.[refused.status === 501 ? 'unimplementedMethod' : 'malformedPath']
        if (!ref || observed.status !== refused.status)
          return [`${name}: only ${refused.status} is documented for that method or path`]
        return checkAgainst('', ref, observed).map((problem) => `${name} ${problem}`)
      }
      if (!matched) return fallback('path', 404)
      const item = document.paths[matched.template] ?? {}
      // HEAD is answered for every GET (by Hono), as HTTP has it; the document says so with a head operation.
      const operation = item[method]
      if (!operation || !OPERATION_METHODS.has(method)) return fallback('method', 405)
      const selected = selectResponse(operation.responses ?? {}, observed.status)
      if (!selected) return [`${name}: status ${observed.status} is not documented for ${matched.template}`]
      const pointer = `/paths/${pointerToken(matched.template)}/${method}/responses/${selected.key}`
      return checkAgainst(pointer, selected.response, observed).map((problem) => `${name} ${problem}`)
    },
    checkAcceptedRequest(method, path, body) {
      const name = `${method} ${path} request`
      const matched = templates.find(({ pattern }) => pattern.test(path))
      const operationMethod = method.toLowerCase()
      const operation = matched && document.paths[matched.template]?.[operationMethod]
      if (!matched || !operation) return []
      if (!operation.requestBody?.content?.['application/json']?.schema) {
        return [`${name}: the API accepted a JSON body the document does not describe`]
      }
      const validate = validatorAt(
        `/paths/${pointerToken(matched.template)}/${operationMethod}/requestBody/content/application~1json/schema`,
      )
      if (validate(body)) return []
      return [
        `${name} ${ajv.errorsText(validate.errors, { dataVar: 'body' })}: ${JSON.stringify(body).slice(0, 300)}`,
      ]
    },
  }
}

/** A tally of checked answers and what departed from the document, for a suite to assert on at its end. */
export class ResponseLedger {
  readonly violations: string[] = []
  checked = 0
  skipped = 0

  constructor(private readonly checker: () => Promise<ResponseChecker>) {}

  /** Checks `response` (a clone is read, so the caller's body stays unread) if it is an API answer. */
  async record(method: string, url: URL, response: Response): Promise<void> {
    if (!url.pathname.startsWith('/api/') && url.pathname !== '/api') return
    if (DOCUMENTATION_PATHS.has(url.pathname)) {
      this.skipped += 1
      return
    }
    const observed: ObservedResponse = {
      method: normalizeMethod(method),
      path: url.pathname,
      status: response.status,
      headers: response.headers,
      body: await response.clone().text(),
    }
    this.checked += 1
    this.violations.push(...(await this.checker()).check(observed))
  }
}

/** A method as `Request` normalises it (Fetch): only these six are case-insensitive; `patch` stays `patch`. */
function normalizeMethod(method: string): string {
  const upper = method.toUpperCase()
  return ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'].includes(upper) ? upper : method
}
