/**
 * The API reference's bundle is where Next serves it from: the copy script puts the file that /api/docs names into
 * public/. Node environment: it runs the script and reads the file system, which the edge VM cannot.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { apiDocsPage } from '../../edge/openapi-document'

describe('the self-hosted API reference bundle', () => {
  it('is copied into public/ at the path the docs page loads it from', async () => {
    execFileSync(join('node_modules', '.bin', 'tsx'), ['scripts/copy-vendor-assets.ts'], { stdio: 'pipe' })

    const html = await apiDocsPage()
    const source = /<script src="(\/[^"]+)"><\/script>/.exec(html)?.[1]
    expect(source).toBeDefined()

    const bundle = readFileSync(join('public', source ?? ''), 'utf8')
    expect(bundle.length).toBeGreaterThan(1_000_000)
    // The single-file build, which defines the global the page's inline script calls.
    expect(bundle).toContain('window.Scalar={createApiReference:')
    expect(bundle).not.toMatch(/sourceMappingURL=/)
  })
})
