/**
 * The routers route modules build on: `app.openapi(route, handler)` as `@hono/zod-openapi` writes it, typed by that
 * library, but without loading it at run time (decision 0021). Its module extends the whole `zod` namespace (every
 * locale, the JSON Schema converters) and brings the document generator: ~70 KiB gzip of every edge function that
 * holds the API, for a document that is the same on every request. Here a route is validated with
 * `@hono/zod-validator`, exactly as that library does it, and recorded, so that `edge/openapi-document.ts` (build
 * time and tests) can hand the very same route definitions to the generator.
 */
import type {
  createRoute as libraryCreateRoute,
  OpenAPIHono,
  OpenAPIHonoOptions,
  RouteConfig,
} from '@hono/zod-openapi'
import { zValidator } from '@hono/zod-validator'
import { type Env, Hono, type HonoRequest, type MiddlewareHandler, type Schema } from 'hono'
import { HTTPException } from 'hono/http-exception'
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
export class ApiRouter extends Hono<AppEnv> {
  /** Every route registered here or on a router mounted here, with its full documented path. */
  definitions: RouteConfig[] = []

  constructor(private readonly hook: Hook = validationHook) {
    super()
  }

  openapi = ({ middleware, hide, ...route }: RouteConfig, handler: MiddlewareHandler<AppEnv>) => {
    if (!hide) this.definitions.push(route as RouteConfig)
    const validators: MiddlewareHandler<AppEnv>[] = []
    const request = route.request
    // biome-ignore lint/suspicious/noExplicitAny: zValidator's generics add nothing to a middleware list
    const validate = (target: 'query' | 'param' | 'header' | 'cookie' | 'json' | 'form', schema: any) =>
      zValidator(target, schema as ZodType, this.hook as never) as unknown as MiddlewareHandler<AppEnv>
    if (request?.query) validators.push(validate('query', request.query))
    if (request?.params) validators.push(validate('param', request.params))
    if (request?.headers) validators.push(validate('header', request.headers))
    if (request?.cookies) validators.push(validate('cookie', request.cookies))
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
export function createRouter(): OpenAPIHono<AppEnv> {
  return new ApiRouter() as unknown as OpenAPIHono<AppEnv>
}
