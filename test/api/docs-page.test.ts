/**
 * GET /api/docs: the interactive API reference, rendered by a bundle we serve ourselves, so it works offline. Built
 * at build time into public/ (test/contract/api-docs-files.test.ts checks the files; the e2e tests, how they are
 * served).
 */
import { describe, expect, it } from 'vitest'
import { createEdgeGate } from '../../edge/auth/gate'
import { createTokenService } from '../../edge/auth/tokens'
import { API_DOCS_FILES, SCALAR_BUNDLE_PATH } from '../../edge/openapi'
import { apiDocsPage } from '../../edge/openapi-document'
import { testAuthConfig } from './support'

async function fetchDocsPage() {
  return { html: await apiDocsPage() }
}

/** Every URL the page makes the browser load: script and link sources, and module imports. */
function loadedUrls(html: string): string[] {
  const attributes = [...html.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map(
    (match) => match[1] ?? '',
  )
  const imports = [...html.matchAll(/\bimport\b[^'"]*["']([^"']+)["']/g)].map((match) => match[1] ?? '')
  return [...attributes, ...imports]
}

describe('GET /api/docs', () => {
  it('is an HTML page, served as a static .html file (so as text/html)', async () => {
    const { html } = await fetchDocsPage()
    expect(API_DOCS_FILES['/api/docs']).toMatch(/\.html$/)
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).toContain('<title>Edgeline API reference</title>')
  })

  it('loads the reference from our own origin and points it at /api/openapi.json', async () => {
    const { html } = await fetchDocsPage()
    expect(SCALAR_BUNDLE_PATH).toMatch(/^\/vendor\//)
    expect(html).toContain(`<script src="${SCALAR_BUNDLE_PATH}"></script>`)
    expect(html).toContain('"url": "/api/openapi.json"')
    expect(loadedUrls(html)).toEqual([SCALAR_BUNDLE_PATH])
  })

  it('names no CDN or other host at all, and turns off web fonts and telemetry', async () => {
    const { html } = await fetchDocsPage()
    expect(html).not.toMatch(/https?:\/\/|\/\/[a-z0-9-]+\.[a-z]/i)
    expect(html).not.toMatch(/jsdelivr|unpkg|cdn\./i)
    expect(html).toContain('"withDefaultFonts": false')
    expect(html).toContain('"telemetry": false')
    // An empty proxy URL: "Try it" requests go to this API directly, not through Scalar's hosted proxy.
    expect(html).toContain('"proxyUrl": ""')
  })

  it('points at a document built beside it, served as a static .json file', async () => {
    expect(API_DOCS_FILES['/api/openapi.json']).toMatch(/\.json$/)
  })

  it('passes the edge perimeter without a session: the page, its document and its bundle', async () => {
    // middleware.ts runs on public/ files too: were the bundle not public, a signed-out reader got a blank page.
    const checkRequest = createEdgeGate(createTokenService(testAuthConfig()), { corsEnabled: false })
    for (const path of ['/api/docs', '/api/openapi.json', SCALAR_BUNDLE_PATH]) {
      const decision = await checkRequest(new Request(`http://edgeline.test${path}`))
      expect(decision.action, path).toBe('continue')
    }
  })
})
