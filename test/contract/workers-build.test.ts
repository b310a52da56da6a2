/**
 * The Workers deployment builds offline (`npm run workers:build`: `wrangler deploy --dry-run`, no account, no
 * network) into the dist/workers/ the README names, leaving git and the linter as they were; and what it builds is
 * the API: loaded in workerd with the variables a deployment sets, it answers from the run's database.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { COMPATIBILITY_DATE } from '../../workers/compatibility'
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver'

const run = promisify(execFile)
const CONFIG = 'workers/wrangler.jsonc'

/** wrangler.jsonc without its comments (whole-line `//` comments only, as it is written). */
function readWranglerConfig(): Record<string, unknown> {
  const text = readFileSync(CONFIG, 'utf8')
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>
}

/** `git status` as a script reads it: every changed, added or untracked file that is not ignored. */
async function gitStatus(): Promise<string> {
  return (await run('git', ['status', '--porcelain', '--untracked-files=all'])).stdout
}

/** What `npm run lint` (biome check) finds: how many files it checked, and its diagnostics by severity. */
async function lintSummary(): Promise<Record<string, number>> {
  // Biome exits 1 when it finds anything; the summary is what matters here, not whether the tree was clean before.
  const { stdout } = await run(
    join('node_modules', '.bin', 'biome'),
    ['check', '--reporter=json', '--max-diagnostics=0', '.'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  ).catch((failure: { stdout?: string }) => ({ stdout: failure.stdout ?? '' }))
  const { summary } = JSON.parse(stdout) as {
    summary: { changed: number; unchanged: number; errors: number; warnings: number }
  }
  return { files: summary.changed + summary.unchanged, errors: summary.errors, warnings: summary.warnings }
}

// Where the README says the bundle goes: the project's root, whatever folder wrangler's config is in.
const outdir = 'dist/workers'

/**
 * The built Worker in workerd, as wrangler.jsonc deploys it (date, flags, `vars`), with `bindings` as its secrets and
 * other variables.
 */
function builtWorker(bindings: Record<string, string>): Miniflare {
  const config = readWranglerConfig()
  return new Miniflare({
    modules: true,
    script: readFileSync(join(outdir, 'index.js'), 'utf8'),
    cf: false,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: config.compatibility_flags as string[],
    bindings: { ...(config.vars as Record<string, string>), ...bindings },
  })
}

/** What a deployment sets as secrets: a token key and the run's database, through its gateway. */
function deployedBindings(): Record<string, string> {
  return {
    JWT_SECRET: 'edgeline-workers-test-secret-of-at-least-32-bytes',
    DATABASE_URL: inject('databaseUrl'),
    SQL_GATEWAY_ENDPOINT: inject('sqlEndpoint'),
  }
}

describe('the Workers build (npm run workers:build)', () => {
  let output = ''
  let before: { git: string; lint: Record<string, number> }
  let after: { git: string; lint: Record<string, number> }
  let mf: Miniflare | undefined

  beforeAll(async () => {
    before = { git: await gitStatus(), lint: await lintSummary() }
    const build = await run('npm', ['run', 'workers:build'], {
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CI: 'true',
        npm_config_update_notifier: 'false',
      },
    })
    output = build.stdout + build.stderr
    after = { git: await gitStatus(), lint: await lintSummary() }
  }, 180_000)

  afterAll(async () => {
    await mf?.dispose()
  })

  it('bundles the Worker and its assets without an account or the network', () => {
    expect(output).toContain('--dry-run: exiting now.')
    expect(output).toMatch(/Read \d+ files from the assets directory/)
    expect(readFileSync(join(outdir, 'index.js'), 'utf8').length).toBeGreaterThan(100_000)
  })

  it('writes the bundle to dist/workers/ at the root, not beside the wrangler config', () => {
    expect(existsSync(join(outdir, 'index.js'))).toBe(true)
    expect(existsSync(join('workers', 'dist'))).toBe(false)
  })

  it('leaves git status as it was: its output is ignored', () => {
    expect(after.git).toBe(before.git)
  })

  it('leaves npm run lint as it was: biome checks none of its output', () => {
    expect(after.lint).toEqual(before.lint)
  })

  it('runs on the date the workerd tests use, with AsyncLocalStorage and no other Node.js compatibility', () => {
    const config = readWranglerConfig()
    expect(config.compatibility_date).toBe(COMPATIBILITY_DATE)
    expect(config.compatibility_flags).toEqual(['nodejs_als'])
  })

  it('answers the API from workerd, configured by the same variables as everywhere else', async () => {
    mf = builtWorker(deployedBindings())
    const hello = await mf.dispatchFetch('http://edgeline.test/api/hello')
    expect(hello.status).toBe(200)
    expect(await hello.json()).toEqual({ message: 'Hello from Next.js Backend!' })
    const health = await mf.dispatchFetch('http://edgeline.test/api/health')
    expect(health.status).toBe(200)
    const users = await mf.dispatchFetch('http://edgeline.test/api/users')
    expect(users.status).toBe(401)
  })

  it('refuses to start without a key, as a production deployment must', async () => {
    const bare = builtWorker({})
    try {
      const answer = await bare.dispatchFetch('http://edgeline.test/api/hello')
      expect(answer.status).toBe(500)
    } finally {
      await bare.dispose()
    }
  })

  it('traces a request with its database round trip as a child span, exported to OTLP after the answer', async () => {
    const receiver = await startOtlpReceiver()
    const traced = builtWorker({ ...deployedBindings(), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })
    try {
      const health = await traced.dispatchFetch('http://edgeline.test/api/health')
      expect(health.status).toBe(200)
      const traceId = health.headers.get('x-trace-id') ?? ''
      const spans = await receiver.waitForSpans(
        (all) => all.filter((span) => span.traceId === traceId).length >= 2,
      )
      const ours = spans.filter((span) => span.traceId === traceId)
      const server = ours.find((span) => span.kind === 2) as ReceivedSpan
      expect(server.name).toBe('GET /api/health')
      expect(ours.filter((span) => span.kind === 3)).toEqual([
        expect.objectContaining({
          parentSpanId: server.spanId,
          attributes: expect.objectContaining({ 'db.system.name': 'postgresql' }),
        }),
      ])
    } finally {
      await traced.dispose()
      await receiver.close()
    }
  })
})
