/** The OpenAPI 3.1 document describes every route the app serves, with its problems and its security. */
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../../edge/openapi-document'
import { createTestApp } from './support'

const { app } = createTestApp()

interface Operation {
  operationId?: string
  summary?: string
  description?: string
  tags?: string[]
  security?: Record<string, string[]>[]
  requestBody?: unknown
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[]
  responses: Record<
    string,
    {
      description?: string
      content?: Record<string, unknown>
      headers?: Record<string, { required?: boolean }>
    }
  >
}
interface Document {
  // The validator takes any JSON object; the fields below are the ones these tests read.
  [field: string]: unknown
  openapi: string
  info: { title: string; version: string }
  servers: { url: string }[]
  paths: Record<string, Record<string, Operation>>
  components: {
    securitySchemes: Record<string, { type: string; in?: string; name?: string }>
    schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>
    responses: Record<string, { headers?: Record<string, { required?: boolean }> }>
  }
  security: Record<string, string[]>[]
  tags: { name: string; description: string }[]
}

function operationsOf(document: Document) {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      name: `${method} ${path}`,
      path,
      method,
      operation,
    })),
  )
}

/** Every `$ref` anywhere in `value`, vendor extensions included. */
function referencesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencesIn)
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : referencesIn(inner),
  )
}

/** The document built into public/ at build time and served as /api/openapi.json (test/contract/api-docs-files). */
async function fetchDocument(): Promise<Document> {
  return openApiDocument(app) as unknown as Document
}

/**
 * The two probes take no input and need no session, so no 4xx can come from them; every other operation can be
 * refused by its caller's input or session, and must say how.
 */
// The browser's session renewal too: any `next` is accepted (an unsafe one becomes `/`), and every answer is a 303.
const WITHOUT_CLIENT_ERRORS = new Set(['get /api/hello', 'get /api/health', 'get /api/auth/resume'])

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document anyone may read, without a session', async () => {
    const document = await fetchDocument()
    expect(document.openapi).toBe('3.1.0')
    expect(document.info).toMatchObject({ title: 'Edgeline API', version: '0.1.0' })
    // Relative, so the document is right on every deployment and preview URL.
    expect(document.servers).toEqual([{ url: '/', description: 'This deployment' }])
  })

  // Ajv, inside the validator, compiles schemas with `new Function`: vitest's edge-runtime environment allows it, a
  // deployed edge function would not, which is fine for a devDependency that only tests use.
  it('validates against the official OpenAPI 3.1 schema', async () => {
    const validator = new Validator()
    const result = await validator.validate(await fetchDocument())
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('is checked by a validator that does refuse an invalid 3.1 document', async () => {
    const { info: _info, ...withoutInfo } = await fetchDocument()
    const result = await new Validator().validate(withoutInfo)
    expect(result.valid).toBe(false)
  })

  it('documents every route the app registers, with its method and path', async () => {
    const document = await fetchDocument()
    const registered = app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
    expect(registered.length).toBeGreaterThan(10)
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    )
    expect(new Set(documented)).toEqual(new Set(registered))
  })

  it('documents the problems of every operation: 500 always, 401 behind a session, 400/413/415 for a body', async () => {
    const document = await fetchDocument()
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const isProblem = (status: string) =>
          Boolean(operation.responses[status]?.content?.['application/problem+json'])
        expect(isProblem('500'), `${method} ${path} 500`).toBe(true)
        const needsSession = operation.security === undefined
        if (needsSession) expect(isProblem('401'), `${method} ${path} 401`).toBe(true)
        if (operation.requestBody) {
          for (const status of ['400', '413', '415'])
            expect(isProblem(status), `${method} ${path} ${status}`).toBe(true)
        }
      }
    }
  })

  it('documents at least one 4xx problem for every operation a caller can get wrong', async () => {
    const document = await fetchDocument()
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ name: `${method} ${path}`, operation })),
    )
    for (const { name, operation } of operations) {
      const clientProblems = Object.entries(operation.responses).filter(
        ([status, response]) => /^4\d\d$/.test(status) && response.content?.['application/problem+json'],
      )
      // Twin cookies of our names are a 400 on every operation (decision 0034): no caller gets that wrong by itself.
      const ownProblems = clientProblems.filter(
        ([status, response]) => !(status === '400' && /ambiguous-cookies/.test(response.description ?? '')),
      )
      expect(clientProblems.length - ownProblems.length, `${name}: twin cookies`).toBe(1)
      if (WITHOUT_CLIENT_ERRORS.has(name)) expect(ownProblems, name).toEqual([])
      else expect(ownProblems.length, name).toBeGreaterThan(0)
    }
    expect(operations.map(({ name }) => name)).toEqual(expect.arrayContaining([...WITHOUT_CLIENT_ERRORS]))
  })

  it('declares the bearer and cookie schemes, required everywhere but on the public paths', async () => {
    const document = await fetchDocument()
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http' })
    expect(document.components.securitySchemes.cookieAuth).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: '__Host-edgeline_session',
    })
    expect(document.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }])
    expect(document.paths['/api/auth/login']?.post?.security).toEqual([])
    expect(document.paths['/api/hello']?.get?.security).toEqual([])
    expect(document.paths['/api/users']?.get?.security).toBeUndefined()
  })

  it('names, sums up, describes and tags every operation, with tags declared and described at the top', async () => {
    const document = await fetchDocument()
    const declared = new Set(document.tags.map((tag) => tag.name))
    for (const tag of document.tags) expect(tag.description.length, tag.name).toBeGreaterThan(20)
    const operations = operationsOf(document)
    for (const { name, operation } of operations) {
      expect(operation.operationId, name).toMatch(/^[a-z][A-Za-z]+$/)
      expect(operation.summary?.length, name).toBeGreaterThan(3)
      expect(operation.description?.length, name).toBeGreaterThan(20)
      expect(operation.tags?.length, name).toBe(1)
      expect(declared, name).toContain(operation.tags?.[0])
    }
    const ids = operations.map(({ operation }) => operation.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    // The reference's sidebar shows summaries: two operations of one path must not read the same.
    const summaries = operations.map(({ operation }) => operation.summary)
    expect(new Set(summaries).size).toBe(summaries.length)
  })

  it('documents a 2xx answer for every operation but the browser redirect GET /api/auth/resume', async () => {
    for (const { name, operation } of operationsOf(await fetchDocument())) {
      const successes = Object.keys(operation.responses).filter((status) => /^2\d\d$/.test(status))
      if (name === 'get /api/auth/resume') expect(Object.keys(operation.responses)).toContain('303')
      else expect(successes.length, name).toBeGreaterThan(0)
    }
  })

  it('bounds ids as the app does, 1 to 2147483647, and gives emails their format', async () => {
    const document = await fetchDocument()
    const { schemas } = document.components
    expect(schemas.User?.properties.id).toMatchObject({ type: 'integer', minimum: 1, maximum: 2_147_483_647 })
    for (const name of ['User', 'Signup', 'Login', 'CreateUser', 'UpdateUser']) {
      expect(schemas[name]?.properties.email, name).toMatchObject({ format: 'email', maxLength: 254 })
    }
    const idParameters = operationsOf(document).flatMap(({ operation }) =>
      (operation.parameters ?? []).filter((parameter) => parameter.name === 'id'),
    )
    expect(idParameters).toHaveLength(3)
    for (const parameter of idParameters) {
      expect(parameter).toMatchObject({ in: 'path', schema: { minimum: 1, maximum: 2_147_483_647 } })
    }
  })

  it('lets the user of GET /api/auth/me be null, as the app answers for an account deleted since log-in', async () => {
    const { schemas } = (await fetchDocument()).components
    expect(schemas.Me?.properties.user).toMatchObject({
      anyOf: [{ $ref: '#/components/schemas/User' }, { type: 'null' }],
    })
  })

  it('describes the answers to requests no operation matches: 405 with Allow, 404, 401, a CORS preflight, 501, 400', async () => {
    const document = await fetchDocument()
    const unmatched = document['x-edgeline-unmatched'] as Record<string, { $ref: string }>
    expect(unmatched).toEqual({
      method: { $ref: '#/components/responses/MethodNotAllowed' },
      path: { $ref: '#/components/responses/UnknownPath' },
      session: { $ref: '#/components/responses/Unauthorized' },
      preflight: { $ref: '#/components/responses/CorsPreflight' },
      unimplementedMethod: { $ref: '#/components/responses/MethodNotImplemented' },
      malformedPath: { $ref: '#/components/responses/MalformedPath' },
    })
    expect(document.components.responses.MethodNotAllowed?.headers?.Allow?.required).toBe(true)
    expect(document.components.responses.Unauthorized?.headers?.['WWW-Authenticate']?.required).toBe(true)
  })

  it('references every component it declares (Redocly cannot see references in extensions, so we check)', async () => {
    const document = await fetchDocument()
    const referenced = new Set(referencesIn(document))
    const declared = Object.entries(document.components).flatMap(([kind, entries]) =>
      kind === 'securitySchemes' ? [] : Object.keys(entries).map((name) => `#/components/${kind}/${name}`),
    )
    expect(declared.length).toBeGreaterThan(10)
    expect(declared.filter((ref) => !referenced.has(ref))).toEqual([])
  })

  it('documents 503 and 504 database problems on every operation that touches the database', async () => {
    for (const { name, operation } of operationsOf(await fetchDocument())) {
      // The health check answers 503 for a database that is down or slow alike; hello touches nothing.
      expect(Boolean(operation.responses['503']), name).toBe(name !== 'get /api/hello')
      expect(Boolean(operation.responses['504']), name).toBe(
        !['get /api/hello', 'get /api/health'].includes(name),
      )
    }
  })
})
