/**
 * Builds the API's docs from the routes the app's routers recorded (edge/router.ts): the OpenAPI 3.1 document and
 * the Scalar reference page that renders it. Run at build time by scripts/build-api-docs.ts, which writes both to
 * public/ (served as static files), and by tests; never part of an edge function (decision 0021).
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi'
import { Scalar } from '@scalar/hono-api-reference'
import { Hono } from 'hono'
import { SESSION_COOKIE } from './auth/credentials'
import { isPublicPath } from './auth/public-paths'
import { OPENAPI_PATH, SCALAR_BUNDLE_PATH, TAGS, TOUCHES_DATABASE } from './openapi'
import type { ApiRouter } from './router'

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>

/** The HTML of the reference at `/api/docs`: Scalar's page, loading its bundle from our origin only. */
export async function apiDocsPage(): Promise<string> {
  const page = new Hono().get(
    '/',
    Scalar({
      url: `/api${OPENAPI_PATH}`,
      // A `cdn` URL makes the page load the single-file bundle with a plain <script src>: ours, from public/.
      cdn: SCALAR_BUNDLE_PATH,
      pageTitle: 'Edgeline API reference',
      // Nothing from third parties: no web fonts, no telemetry, no hosted AI agent, MCP or share/deploy toolbar.
      withDefaultFonts: false,
      telemetry: false,
      // "Try it" calls go straight to this API: unset, Scalar relays them through its hosted proxy, tokens included.
      proxyUrl: '',
      agent: { disabled: true },
      mcp: { disabled: true },
      showDeveloperTools: 'never',
    }),
  )
  return (await page.request('/')).text()
}

/**
 * The document served at `GET /api/openapi.json`, built anew from the routes the app's routers recorded; tests read
 * it here to check the app's answers against it.
 */
// biome-ignore lint/suspicious/noExplicitAny: any app of ours will do, whatever its route types
export function openApiDocument(app: any): OpenApiDocument {
  const { definitions, basePathForDocument } = app as unknown as ApiRouter
  if (!Array.isArray(definitions)) throw new Error('openApiDocument needs an app built with createRouter()')
  const registry = new OpenAPIRegistry()
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'The `accessToken` of a session (POST /api/auth/login), or a token of the configured JWKS issuer.',
  })
  registry.registerComponent('securitySchemes', 'cookieAuth', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The session cookie set by log-in and sign-up (browsers send it by themselves).',
  })
  for (const route of definitions) {
    const path = `${basePathForDocument.replace(/\/$/, '')}${route.path === '/' ? '' : route.path}` || '/'
    registry.registerPath({ ...route, path })
  }
  return addAppWideProblems(
    new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: { title: 'Edgeline API', version: '0.1.0', description: API_DESCRIPTION },
      // Relative: the origin that serves this document, whichever deployment or preview it is.
      servers: [{ url: '/', description: 'This deployment' }],
      // A session is needed everywhere except on the public paths, which say so per operation.
      security: [{ bearerAuth: [] }, { cookieAuth: [] }],
      tags: TAGS.map((tag) => ({ ...tag })),
    }),
  )
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const

const PROBLEM_SCHEMA = { $ref: '#/components/schemas/Problem' }

const API_DESCRIPTION = [
  'Users and accounts, served from the edge. Every error is `application/problem+json` (RFC 9457), with a stable ' +
    '`type` (`/problems/<slug>`) and the `requestId` of the log line that recorded it.',
  '',
  'Beyond the operations listed here: another method on a listed path answers **405** with `Allow` ' +
    '(`#/components/responses/MethodNotAllowed`), and a path not listed answers **404** ' +
    '(`#/components/responses/UnknownPath`); without a session, both are **401** first on every path that is not ' +
    'public (deny by default). When the deployment allows other origins (`CORS_ORIGINS`), a CORS preflight ' +
    '(`OPTIONS` with `Access-Control-Request-Method`) answers **204** (`#/components/responses/CorsPreflight`). ' +
    'Before any of that, on every path: a method other than GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS ' +
    'answers **501** (`#/components/responses/MethodNotImplemented`), and a path with a malformed percent-escape ' +
    '**400** (`#/components/responses/MalformedPath`). ' +
    'Every answer carries `X-Request-Id`; every answer past the edge middleware also `Server-Timing`.',
].join('\n')

type Header = { description: string; required: boolean; schema: { type: 'string' | 'integer' } }

const header = (description: string, type: 'string' | 'integer' = 'string', required = true): Header => ({
  description,
  required,
  schema: { type },
})

const problem = (description: string, headers?: Record<string, Header>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: PROBLEM_SCHEMA } },
})

/** On every answer, from the app or the edge middleware: declared once, referenced by every response. */
const REQUEST_ID = header('The id of the log line of this request; a valid incoming `X-Request-Id` is kept')
const REQUEST_ID_REF = { $ref: '#/components/headers/RequestId' }

const WWW_AUTHENTICATE = header(
  '`Bearer realm="edgeline"`, with `error="invalid_token"` when a token was refused',
)

/** What a status always carries, wherever it is answered: added to every response of that status. */
const HEADERS_BY_STATUS: Record<string, Record<string, Header>> = {
  '201': { Location: header('The path of what was created') },
  '401': { 'WWW-Authenticate': WWW_AUTHENTICATE },
  '429': { 'Retry-After': header('Seconds to wait before trying again', 'integer') },
  '503': { 'Retry-After': header('Seconds to wait before trying again', 'integer', false) },
}

/** The answers to requests no operation matches; the info description and `x-edgeline-unmatched` point at them. */
const UNMATCHED_RESPONSES = {
  MethodNotAllowed: problem('Another method than those of the path (`/problems/method-not-allowed`)', {
    Allow: header('The methods the path has, e.g. `GET, HEAD, POST`'),
  }),
  UnknownPath: problem('No such path (`/problems/not-found`); without a session, 401 comes first'),
  MethodNotImplemented: problem(
    'A method no path implements (`/problems/method-not-implemented`), answered before any session check',
  ),
  MalformedPath: problem(
    'A path with a malformed percent-escape (`/problems/malformed-path`), answered before any session check',
  ),
  Unauthorized: problem('No valid session (`/problems/unauthorized`): missing, expired or forged token', {
    'WWW-Authenticate': WWW_AUTHENTICATE,
  }),
  CorsPreflight: {
    description: 'A CORS preflight from an allowed origin, when CORS_ORIGINS is set (otherwise a 405)',
    headers: {
      'Access-Control-Allow-Methods': header('The methods a cross-origin request may use'),
      'Access-Control-Allow-Origin': header('The origin allowed, or `*`', 'string', false),
    },
  },
}

/**
 * Adds what the app-wide middleware answers, so no route module has to repeat it: operations on the public-path
 * list need no session (`security: []`), every other one may answer 401; any, 400 for twin cookies (decision
 * 0034); a JSON body may be malformed (400), too
 * large (413) or not JSON (415); an operation that touches the database may find it down (503) or slow (504);
 * anything may fail (500). A route's own, more specific description wins. Then the headers every response of a
 * status carries, and the answers to requests no operation matches (405, 404) or no route could (501, 400).
 */
function addAppWideProblems(document: OpenApiDocument): OpenApiDocument {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method] as (typeof item)[typeof method] & { [TOUCHES_DATABASE]?: true }
      if (!operation) continue
      operation.responses ??= {}
      const responses = operation.responses
      const add = (status: string, description: string) => {
        responses[status] ??= problem(description)
      }
      if (isPublicPath(path)) operation.security = []
      else add('401', 'No valid session: missing, expired or forged token (see WWW-Authenticate)')
      if (operation.requestBody) {
        add('400', 'The body is not valid JSON')
        add('413', 'The body is larger than 1 MiB')
        add('415', 'The body is not JSON')
      }
      // The app-wide authentication reads the session cookie on every path (public ones too) and refuses a twin.
      const ambiguous =
        'two cookies of one of our names, one perhaps planted by another host (`/problems/ambiguous-cookies`)'
      const badRequest = responses['400']
      if (badRequest && !('$ref' in badRequest)) badRequest.description += `; or ${ambiguous}`
      else add('400', ambiguous.charAt(0).toUpperCase() + ambiguous.slice(1))
      add('500', 'An unexpected failure; the problem carries a requestId to quote')
      if (operation[TOUCHES_DATABASE]) {
        add('503', 'The database is unreachable (`/problems/database-unavailable`); try again shortly')
        add('504', 'The database did not answer in time (`/problems/database-timeout`)')
        delete operation[TOUCHES_DATABASE]
      }
      for (const [status, response] of Object.entries(responses)) {
        if (!response || '$ref' in response) continue
        const always = { 'X-Request-Id': REQUEST_ID_REF, ...HEADERS_BY_STATUS[status] }
        response.headers = { ...always, ...response.headers }
      }
    }
  }
  const unmatched = Object.fromEntries(
    Object.entries(UNMATCHED_RESPONSES).map(([name, response]) => [
      name,
      { ...response, headers: { 'X-Request-Id': REQUEST_ID_REF, ...response.headers } },
    ]),
  )
  document.components = {
    ...document.components,
    headers: { ...document.components?.headers, RequestId: REQUEST_ID },
    responses: { ...document.components?.responses, ...unmatched },
  }
  return Object.assign(document, {
    'x-edgeline-unmatched': {
      method: { $ref: '#/components/responses/MethodNotAllowed' },
      path: { $ref: '#/components/responses/UnknownPath' },
      session: { $ref: '#/components/responses/Unauthorized' },
      preflight: { $ref: '#/components/responses/CorsPreflight' },
      unimplementedMethod: { $ref: '#/components/responses/MethodNotImplemented' },
      malformedPath: { $ref: '#/components/responses/MalformedPath' },
    },
  })
}
