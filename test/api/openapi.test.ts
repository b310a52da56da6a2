/** The OpenAPI 3.1 document describes every route the app serves, with its problems and its security. */
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
import { createTestApp } from './support'

const { app } = createTestApp()

interface Operation {
  security?: Record<string, string[]>[]
  requestBody?: unknown
  responses: Record<string, { content?: Record<string, unknown> }>
}
interface Document {
  // The validator takes any JSON object; the fields below are the ones these tests read.
  [field: string]: unknown
  openapi: string
  info: { title: string; version: string }
  servers: { url: string }[]
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> }
  security: Record<string, string[]>[]
}

async function fetchDocument(): Promise<Document> {
  const response = await app.request('/api/openapi.json')
  expect(response.status).toBe(200)
  return (await response.json()) as Document
}

const DOCUMENTATION_ROUTES = new Set(['/api/openapi.json', '/api/docs'])

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
      .filter((route) => route.method !== 'ALL' && !DOCUMENTATION_ROUTES.has(route.path))
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
      if (WITHOUT_CLIENT_ERRORS.has(name)) expect(clientProblems, name).toEqual([])
      else expect(clientProblems.length, name).toBeGreaterThan(0)
    }
    expect(operations.map(({ name }) => name)).toEqual(expect.arrayContaining([...WITHOUT_CLIENT_ERRORS]))
  })

  it('declares the bearer and cookie schemes, required everywhere but on the public paths', async () => {
    const document = await fetchDocument()
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http' })
    expect(document.components.securitySchemes.cookieAuth).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'edgeline_session',
    })
    expect(document.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }])
    expect(document.paths['/api/auth/login']?.post?.security).toEqual([])
    expect(document.paths['/api/hello']?.get?.security).toEqual([])
    expect(document.paths['/api/users']?.get?.security).toBeUndefined()
  })
})
