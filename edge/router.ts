/**
 * The routers route modules build on: `app.openapi(route, handler)` as `@hono/zod-openapi` writes it, typed by that
 * library, but without loading it at run time (decision 0021). Its module extends the whole `zod` namespace (every
 * locale, the JSON Schema converters) and brings the document generator: ~70 KiB gzip of every edge function that
 * holds the API, for a document that is the same on every request. Here a route is validated as that library
 * does it (its `zValidator`, on Hono's `validator`), and recorded, so that `edge/openapi-document.ts` (build time
 * and tests) can hand the very same route definitions to the generator.
 */
import type {
  createRoute as libraryCreateRoute,
  OpenAPIHono,
  OpenAPIHonoOptions,
  RouteConfig,
} from '@hono/zod-openapi'
import type { Env, Hono, HonoRequest, MiddlewareHandler, Schema } from 'hono'
import { HonoBase } from 'hono/hono-base'
import { HTTPException } from 'hono/http-exception'
import { PatternRouter } from 'hono/router/pattern-router'
import { validator } from 'hono/validator'
import type { ZodType } from 'zod'
import type { AppEnv } from './context'
import { validationHook } from './validation'

type Hook = NonNullable<OpenAPIHonoOptions<AppEnv>['defaultHook']>

/** `createRoute` of `@hono/zod-openapi`: the route's config, plus the path in Hono's `:param` syntax. */
export function createRoute<P extends string, R extends Omit<RouteConfig, 'path'> & { path: P }>(
  routeConfig: R,
): ReturnType<typeof libraryCreateRoute<P, R>> {
  const route = { ...routeConfig, getRoutingPath: () => routingPath(routeConfig.path) }
  return Object.defineProperty(route, 'getRoutingPath', { enumerable: false }) as ReturnType<
    typeof libraryCreateRoute<P, R>
  >
}

/** `/users/{id}` (OpenAPI) as `/users/:id` (Hono). */
const routingPath = (path: string) => path.replaceAll(/\/{(.+?)}/g, '/:$1')

/** `/users/:id` (Hono) as `/users/{id}` (OpenAPI). */
const documentPath = (path: string) => path.replaceAll(/:([^/]+)/g, '{$1}')

/** The segments of each path, in order, as one path: `('/auth', '/login')` is `/auth/login`, `('/', '/')` is `/`. */
const joinPaths = (...parts: string[]) =>
  `/${parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/')}`

/** A router whose `openapi()` validates and records each route; the type of its chain is `OpenAPIHono`'s. */
export class ApiRouter extends HonoBase<AppEnv> {
  /** Every route registered here or on a router mounted here, with its full documented path. */
  definitions: RouteConfig[] = []

  constructor(
    private readonly hook: Hook = validationHook,
    /**
     * How a request finds its route. Hono's PatternRouter unless told otherwise: the smallest (`hono`'s default
     * SmartRouter brings RegExpRouter and TrieRouter, 1.4 KiB gzip of every edge function) and it compiles nothing
     * at a cold start; it tries the ~60 routes in turn, ~1.7 µs a request against ~0.4 µs for RegExpRouter
     * (decision 0040). The production server, warm for hours, passes Hono's default.
     */
    router: ApiRouter['router'] = new PatternRouter(),
  ) {
    // Not strict: a trailing slash is dropped before routing, so `/api/users/` is `/api/users` on every host. The
    // routers disagree on it otherwise (PatternRouter matches both, RegExpRouter only the bare path), and Next, in
    // front of the edge functions, already redirects `/api/users/` to `/api/users` (308).
    super({ strict: false })
    this.router = router
  }

  // No header or cookie schemas: zValidator maps header names to the schema's case, and no route needs either
  // (test/api/router-choice.test.ts checks every route).
  openapi = ({ middleware, hide, ...route }: RouteConfig, handler: MiddlewareHandler<AppEnv>) => {
    if (!hide) this.definitions.push(route as RouteConfig)
    const validators: MiddlewareHandler<AppEnv>[] = []
    const request = route.request
    // `@hono/zod-validator`'s `zValidator`, which `@hono/zod-openapi` uses, for the targets routes declare here: the
    // schema parses the value, the hook sees every result (ours throws a problem on a failure), the handler gets the
    // parsed data. Written out: the package was 0.12 KiB gzip of every function holding the API (decision 0040).
    const validate = (target: 'query' | 'param' | 'json' | 'form', schema: unknown) =>
      validator(target, async (value, c) => {
        const result = await (schema as ZodType).safeParseAsync(value)
        const answer = await this.hook({ ...result, data: value, target } as never, c as never)
        if (answer instanceof Response) return answer
        if (answer && 'response' in answer) return answer.response
        return result.success ? result.data : c.json(result, 400)
      }) as unknown as MiddlewareHandler<AppEnv>
    if (request?.query) validators.push(validate('query', request.query))
    if (request?.params) validators.push(validate('param', request.params))
    const content = request?.body?.content ?? {}
    const declared = Object.keys(content)
    const bodyTarget = (mediaType: string) =>
      isJsonContentType(mediaType) ? 'json' : isFormContentType(mediaType) ? 'form' : undefined
    const validated = declared.filter((mediaType) => {
      const media = content[mediaType]
      return media && 'schema' in media && bodyTarget(mediaType) !== undefined
    })
    if (validated.length > 0) validators.push(mediaTypeGate(declared))
    for (const mediaType of validated) {
      const target = bodyTarget(mediaType) as 'json' | 'form'
      const media = content[mediaType] as { schema: unknown }
      const validator = validate(target, media.schema)
      const matches = target === 'json' ? isJsonContentType : isFormContentType
      validators.push(
        request?.body?.required
          ? validator
          : async (c, next) => {
              if (matches(c.req.header('content-type') ?? '')) return validator(c, next)
              c.req.addValidatedData(target, {})
              await next()
            },
      )
    }
    const routeMiddleware = middleware ? [middleware].flat() : []
    this.on(
      [route.method],
      [routingPath(route.path)],
      ...(routeMiddleware as never[]),
      ...validators,
      handler,
    )
    return this
  }

  override route<
    SubPath extends string,
    SubEnv extends Env,
    SubSchema extends Schema,
    SubBasePath extends string,
  >(path: SubPath, app: Hono<SubEnv, SubSchema, SubBasePath>) {
    const mounted = super.route(path, app)
    if (app instanceof ApiRouter) {
      for (const definition of app.definitions) {
        this.definitions.push({ ...definition, path: joinPaths(documentPath(path), definition.path) })
      }
    }
    return mounted
  }

  override basePath<SubPath extends string>(path: SubPath) {
    const cloned = super.basePath(path)
    const router = new ApiRouter(this.hook)
    Object.assign(router, {
      router: cloned.router,
      routes: cloned.routes,
      getPath: cloned.getPath,
      errorHandler: (cloned as unknown as { errorHandler: unknown }).errorHandler,
      _basePath: (cloned as unknown as { _basePath: string })._basePath,
    })
    // The base path is part of every documented path; the definitions array is shared, as the routes are.
    router.definitions = this.definitions
    router.basePathForDocument = joinPaths(this.basePathForDocument, documentPath(path))
    return router as unknown as typeof cloned
  }

  /** The base path (`/api`) every definition's path is under. */
  basePathForDocument = '/'
}

/** The 415 of `@hono/zod-openapi`: a body of a media type the route does not declare. */
function mediaTypeGate(declared: string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const contentType = c.req.header('content-type')
    if (contentType) {
      if (!declared.some((mediaType) => matchesMediaType(contentType, mediaType)))
        throw new HTTPException(415, { message: 'Unsupported Media Type' })
    } else if (await hasRequestBody(c.req)) {
      throw new HTTPException(415, { message: 'Unsupported Media Type' })
    }
    await next()
  }
}

const isJsonContentType = (contentType: string) => /^application\/([a-z-.]+\+)?json/i.test(contentType)
const isFormContentType = (contentType: string) =>
  /^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(contentType)
const JSON_REQUEST = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i
const MULTIPART_REQUEST = /^multipart\/form-data(;\s?boundary=[a-zA-Z0-9'"()+_,\-./:=?]+)?$/i
const URLENCODED_REQUEST = /^application\/x-www-form-urlencoded(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i

/** Whether a request's Content-Type is one a declared media type accepts (the library's rule). */
function matchesMediaType(contentType: string, mediaType: string): boolean {
  if (mediaType === '*/*') return true
  if (isJsonContentType(mediaType)) return JSON_REQUEST.test(contentType)
  if (isFormContentType(mediaType))
    return MULTIPART_REQUEST.test(contentType) || URLENCODED_REQUEST.test(contentType)
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase()
  if (mediaType.endsWith('/*')) return essence.startsWith(mediaType.slice(0, -1).toLowerCase())
  return essence === mediaType.toLowerCase()
}

async function hasRequestBody(request: HonoRequest): Promise<boolean> {
  const raw = request.raw
  if (raw.body === null) return false
  // Read already (and cached by Hono): its size is known.
  if (raw.bodyUsed) return (await request.arrayBuffer()).byteLength > 0
  const body = raw.clone().body
  if (body === null) return false
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return false
      if (value.byteLength > 0) return true
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}

/**
 * A router for a route module. Typed as `OpenAPIHono` so that each `.openapi()` in a chain adds its route to the
 * app's type (the typed client, `hc<AppType>`, reads it); only `openapi`, `route`, `basePath` and Hono's own methods
 * exist at run time (the generator's are in `edge/openapi-document.ts`).
 */
export function createRouter(router?: ApiRouter['router']): OpenAPIHono<AppEnv> {
  return new ApiRouter(validationHook, router) as unknown as OpenAPIHono<AppEnv>
}
