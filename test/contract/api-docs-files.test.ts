/**
 * The API's docs are static files built from the routes (scripts/build-api-docs.ts): what public/ holds is exactly
 * what the routes document. Node environment: it runs the script and reads the file system.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { API_DOCS_FILES } from '../../edge/openapi'
import { apiDocsPage, openApiDocument } from '../../edge/openapi-document'
import { createTestApp } from '../api/support'

describe('the API docs built into public/', () => {
  execFileSync(join('node_modules', '.bin', 'tsx'), ['scripts/build-api-docs.ts'], { stdio: 'pipe' })
  const read = (path: string) => readFileSync(join('public', API_DOCS_FILES[path] ?? 'missing'), 'utf8')

  it('holds the OpenAPI document of the app, whatever its configuration', () => {
    const { app } = createTestApp({ config: { corsOrigins: ['https://app.example.test'] } })
    expect(JSON.parse(read('/api/openapi.json'))).toEqual(openApiDocument(app))
  })

  it('holds the reference page at the path it is served from', async () => {
    expect(read('/api/docs')).toBe(await apiDocsPage())
  })
})
