/** The OpenAPI 3.1 document of the API, generated from the same zod schemas that validate every request. */
import type { OpenAPIHono } from '@hono/zod-openapi'
import { SESSION_COOKIE } from './auth/credentials'
import { isPublicPath } from './auth/public-paths'
import type { AppEnv } from './context'

export const OPENAPI_PATH = '/openapi.json'

type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>

/**
 * Serves `GET /api/openapi.json`. Call after every route is registered: the document is built on first request
 * from the app's registry, then cached for the life of the isolate.
 */
// biome-ignore lint/suspicious/noExplicitAny: the app's route schema type is irrelevant here and varies per caller
export function registerOpenApiDocument(app: OpenAPIHono<AppEnv, any, '/api'>): void {
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
        // A session is needed everywhere except on the public paths, which say so per operation.
        security: [{ bearerAuth: [] }, { cookieAuth: [] }],
      }),
    )
    return c.json(document)
  })
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
