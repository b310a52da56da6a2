/**
 * What route modules say about their operations for the API's docs, and where the docs are served. The document and
 * the reference page are built from these at build time (edge/openapi-document.ts, scripts/build-api-docs.ts) and
 * served as static files: no edge function carries the generator or the page (decision 0021).
 */

export const OPENAPI_PATH = '/openapi.json'
export const DOCS_PATH = '/docs'

/**
 * The docs' static files, by the path they are served at: written into `public/` by scripts/build-api-docs.ts (the
 * npm hooks predev, prebuild, pretest), served by Next as any public file (`/api/docs` through a rewrite in
 * next.config.ts, by Workers' assets as `docs.html`), and handed to Next by the production server.
 */
export const API_DOCS_FILES: Readonly<Record<string, string>> = {
  [`/api${OPENAPI_PATH}`]: 'api/openapi.json',
  [`/api${DOCS_PATH}`]: 'api/docs.html',
}

/**
 * How long caches may keep the docs' files, which change only with a deployment: a CDN keeps them an hour and may
 * serve a stale copy for a day while it fetches the new one in the background, so no function or server is asked
 * for them more than about once an hour per CDN location; browsers revalidate after a minute (an ETag makes that a
 * 304). Set by next.config.ts on both servers' static serving (decision 0024).
 */
export const API_DOCS_CACHE_CONTROL = 'public, max-age=60, s-maxage=3600, stale-while-revalidate=86400'

/**
 * Where the browser loads Scalar's standalone bundle from: our own origin, never a CDN. The npm hooks predev,
 * prebuild and pretest run `scripts/copy-vendor-assets.ts`, which copies it out of `@scalar/api-reference` into
 * `public/`: its ~4 MiB are a static asset, never part of the edge function.
 */
export const SCALAR_BUNDLE_PATH = '/vendor/scalar/api-reference.js'

/**
 * The API's documentation prose (an operation's `documented()` fields, a route's `responses` and `parameters`, a
 * schema's `.meta()`), evaluated only where the document is built. The document is generated at build time
 * (scripts/build-api-docs.ts, through edge/openapi-document.ts) from these same definitions, and nothing at run
 * time reads them: the router needs a route's method, path, request schemas and middleware, and a validation
 * message is its schema's own, never its metadata. So Next builds the functions with
 * `process.env.EDGELINE_API_PROSE` defined as `omit` (next.config.ts): the condition is constant, the minifier
 * drops each thunk with every string in it, 5.6 KiB gzip of each function holding the API (decision 0038). A runtime
 * without `process` (workerd), where reading it would throw, has no docs builder either. The type says the prose is present because the only code
 * that reads it, the docs builder, runs without the define. A build-time constant, not configuration: no
 * deployment sets it (edge/env.ts reads the configuration).
 */
export function onlyInDocs<T>(prose: () => T): T {
  return typeof process === 'undefined' || process.env.EDGELINE_API_PROSE === 'omit' ? ({} as T) : prose()
}

/** The groups of the reference's sidebar, in its order; each operation names one with `documented()`. */
export const TAGS = [
  {
    name: 'Service',
    description: 'Is the API up, and its database? No session needed. And the scheduled delivery of email.',
  },
  {
    name: 'Authentication',
    description:
      'Built-in accounts: sign-up, log-in, password change and reset, email change, session refresh and renewal, ' +
      'log-out, and who the caller is. Sessions are an access token (15 minutes) and a single-use refresh token, also set as cookies.',
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
export const TOUCHES_DATABASE = 'x-edgeline-touches-database'

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
 * The documentation fields of one operation, spread first into its `createRoute({...})` as
 * `...onlyInDocs(() => documented({...}))`. Kept apart from the route's own fields so that documenting an operation
 * never touches the lines that define its behaviour.
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
