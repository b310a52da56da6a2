/**
 * Writes the API's docs into public/ (git-ignored), built once from the routes: the OpenAPI document served at
 * /api/openapi.json and the reference page served at /api/docs. Run by the npm hooks predev, prebuild, pretest and
 * pretest:e2e, after copy-vendor-assets (decision 0021).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createApp } from '../edge/app'
import { parseConfig } from '../edge/env'
import { API_DOCS_FILES, DOCS_PATH, OPENAPI_PATH } from '../edge/openapi'
import { apiDocsPage, openApiDocument } from '../edge/openapi-document'

// The document depends on the routes alone: any valid configuration builds the same one (no request is served).
const app = createApp(parseConfig({}))
const files = {
  [`/api${OPENAPI_PATH}`]: `${JSON.stringify(openApiDocument(app))}\n`,
  [`/api${DOCS_PATH}`]: await apiDocsPage(),
}
for (const [path, contents] of Object.entries(files)) {
  const file = join('public', API_DOCS_FILES[path] as string)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, contents)
  console.log(`build-api-docs: ${path} -> ${file}`)
}
