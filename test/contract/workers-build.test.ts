/**
 * The Workers deployment builds offline (`wrangler deploy --dry-run`, no account, no network), and what it builds is
 * the API: loaded in workerd with the variables a deployment sets, it answers from the run's database.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { COMPATIBILITY_DATE } from '../../workers/compatibility'

const run = promisify(execFile)
const CONFIG = 'workers/wrangler.jsonc'

/** wrangler.jsonc without its comments (whole-line `//` comments only, as it is written). */
function readWranglerConfig(): Record<string, unknown> {
  const text = readFileSync(CONFIG, 'utf8')
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>
}

describe('the Workers build (wrangler deploy --dry-run)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'edgeline-workers-'))
  let output = ''
  let mf: Miniflare | undefined

  beforeAll(async () => {
    // Its assets are public/, where the API's docs are built.
    await run(join('node_modules', '.bin', 'tsx'), ['scripts/build-api-docs.ts'])
    const wrangler = await run(
      join('node_modules', '.bin', 'wrangler'),
      ['deploy', '--dry-run', '--outdir', outdir, '--config', CONFIG],
      { env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' } },
    )
    output = wrangler.stdout + wrangler.stderr
  }, 120_000)

  afterAll(async () => {
    await mf?.dispose()
    rmSync(outdir, { recursive: true, force: true })
  })

  it('bundles the Worker and its assets without an account or the network', () => {
    expect(output).toContain('--dry-run: exiting now.')
    expect(output).toMatch(/Read \d+ files from the assets directory/)
    expect(readFileSync(join(outdir, 'index.js'), 'utf8').length).toBeGreaterThan(100_000)
  })

  it('runs on the date the workerd tests use, with no Node.js compatibility', () => {
    const config = readWranglerConfig()
    expect(config.compatibility_date).toBe(COMPATIBILITY_DATE)
    expect(config.compatibility_flags).toEqual([])
  })

  it('answers the API from workerd, configured by the same variables as everywhere else', async () => {
    const config = readWranglerConfig()
    mf = new Miniflare({
      modules: true,
      script: readFileSync(join(outdir, 'index.js'), 'utf8'),
      cf: false,
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: {
        ...(config.vars as Record<string, string>),
        JWT_SECRET: 'edgeline-workers-test-secret-of-at-least-32-bytes',
        DATABASE_URL: inject('databaseUrl'),
        SQL_GATEWAY_ENDPOINT: inject('sqlEndpoint'),
      },
    })
    const hello = await mf.dispatchFetch('http://edgeline.test/api/hello')
    expect(hello.status).toBe(200)
    expect(await hello.json()).toEqual({ message: 'Hello from Next.js Backend!' })
    const health = await mf.dispatchFetch('http://edgeline.test/api/health')
    expect(health.status).toBe(200)
    const users = await mf.dispatchFetch('http://edgeline.test/api/users')
    expect(users.status).toBe(401)
  })

  it('refuses to start without a key, as a production deployment must', async () => {
    const bare = new Miniflare({
      modules: true,
      script: readFileSync(join(outdir, 'index.js'), 'utf8'),
      cf: false,
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { ...(readWranglerConfig().vars as Record<string, string>) },
    })
    try {
      const answer = await bare.dispatchFetch('http://edgeline.test/api/hello')
      expect(answer.status).toBe(500)
    } finally {
      await bare.dispose()
    }
  })
})
