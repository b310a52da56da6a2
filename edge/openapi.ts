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
    document ??= addAppWideProblems(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Edgeline API',
          version: '0.1.0',
          description:
            'Users and accounts, served from the edge. Every error is `application/problem+json` (RFC 9457).',
        },
        // Relative: the origin that serves this document, whichever deployment or preview it is.
        servers: [{ url: '/', description: 'This deployment' }],
        // A session is needed everywhere except on the public paths, which say so per operation.
        security: [{ bearerAuth: [] }, { cookieAuth: [] }],
      }),
    )
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

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
})

/**
 * Adds what the app-wide middleware answers, so no route module has to repeat it: operations on the public-path
 * list need no session (`security: []`), every other one may answer 401; a JSON body may be malformed (400), too
 * large (413) or not JSON (415); anything may fail (500). A route's own, more specific description wins.
 */
function addAppWideProblems(document: OpenApiDocument): OpenApiDocument {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method]
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
    }
  }
  return document
}
