/** The API's docs: the OpenAPI 3.1 document generated from the zod schemas, and its interactive reference. */
import type { OpenAPIHono } from '@hono/zod-openapi'
import { Scalar } from '@scalar/hono-api-reference'
import { SESSION_COOKIE } from './auth/credentials'
import { isPublicPath } from './auth/public-paths'
import type { AppEnv } from './context'

export const OPENAPI_PATH = '/openapi.json'
export const DOCS_PATH = '/docs'

/**
 * Where the browser loads Scalar's standalone bundle from: our own origin, never a CDN. The npm hooks predev,
 * prebuild and pretest run `scripts/copy-vendor-assets.ts`, which copies it out of `@scalar/api-reference` into
 * `public/`: its ~4 MiB are a static asset, never part of the edge function.
 */
export const SCALAR_BUNDLE_PATH = '/vendor/scalar/api-reference.js'

type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>

/** The groups of the reference's sidebar, in its order; each operation names one with `documented()`. */
export const TAGS = [
  { name: 'Service', description: 'Is the API up, and its database? No session needed.' },
  {
    name: 'Authentication',
    description:
      'Built-in accounts: sign-up, log-in, password change, session refresh and renewal, log-out, and who the ' +
      'caller is. Sessions are an access token (15 minutes) and a single-use refresh token, also set as cookies.',
  },
  {
    name: 'Users',
    description:
      'The user directory: any signed-in caller may list and read; a user may change or delete only their own ' +
      'account; an admin may create, change and delete anyone.',
  },
] as const

export type TagName = (typeof TAGS)[number]['name']

/** Marks, until the document is built, the operations that may fail because the database does (503, 504). */
const TOUCHES_DATABASE = 'x-edgeline-touches-database'

export interface OperationDocs {
  /** Stable, camelCase: client generators name their functions after it. */
  operationId: string
  tag: TagName
  /** A few words: the reference's sidebar shows it. */
  summary: string
  description: string
  /** Adds the 503 and 504 database problems to the operation's responses. */
  touchesDatabase?: boolean
}

/**
 * The documentation fields of one operation, spread first into its `createRoute({...})`. Kept apart from the
 * route's own fields so that documenting an operation never touches the lines that define its behaviour.
 */
export function documented(docs: OperationDocs) {
  return {
    operationId: docs.operationId,
    tags: [docs.tag],
    summary: docs.summary,
    description: docs.description,
    ...(docs.touchesDatabase ? { [TOUCHES_DATABASE]: true as const } : {}),
  }
}

/**
 * Serves `GET /api/openapi.json` and the reference that renders it, `GET /api/docs`. Call after every route is
 * registered: the document is built on first request from the app's registry, then cached for the isolate's life.
 */
// biome-ignore lint/suspicious/noExplicitAny: the app's route schema type is irrelevant here and varies per caller
export function registerApiDocs(app: OpenAPIHono<AppEnv, any, '/api'>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'The `accessToken` of a session (POST /api/auth/login), or a token of the configured JWKS issuer.',
  })
  app.openAPIRegistry.registerComponent('securitySchemes', 'cookieAuth', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The session cookie set by log-in and sign-up (browsers send it by themselves).',
  })

  let document: OpenApiDocument | undefined
  app.get(OPENAPI_PATH, (c) => {
    document ??= openApiDocument(app)
    return c.json(document)
  })

  app.get(
    DOCS_PATH,
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
}

/**
 * The document `GET /api/openapi.json` serves, built anew from the app's registry (which `registerApiDocs` has
 * completed); tests read it here to check answers without a request of their own.
 */
// biome-ignore lint/suspicious/noExplicitAny: as in registerApiDocs, any app of ours will do
export function openApiDocument(app: OpenAPIHono<AppEnv, any, '/api'>): OpenApiDocument {
  return addAppWideProblems(
    app.getOpenAPI31Document({
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
 * list need no session (`security: []`), every other one may answer 401; a JSON body may be malformed (400), too
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
