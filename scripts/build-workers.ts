/**
 * `npm run workers:build`: the Worker (workers/wrangler.jsonc) bundled offline by `wrangler deploy --dry-run` into
 * dist/workers/ at the project's root, with the API's docs built first into public/ (its static assets).
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist/workers' } } })
// Absolute: wrangler resolves a relative --outdir against the config's folder (it wrote workers/dist/workers/),
// while the README and .gitignore name dist/workers/ at the root.
const outdir = resolve(values.outdir)
// A fresh folder: files of an earlier build (another entry point's chunks) must not ship with this one.
rmSync(outdir, { recursive: true, force: true })

const bin = (name: string) => join('node_modules', '.bin', name)
execFileSync(bin('tsx'), ['scripts/build-api-docs.ts'], { stdio: 'inherit' })
execFileSync(
  bin('wrangler'),
  ['deploy', '--dry-run', '--outdir', outdir, '--config', 'workers/wrangler.jsonc'],
  {
    stdio: 'inherit',
  },
)
console.log(`✓ Worker bundle in ${values.outdir}: ${join(values.outdir, 'index.js')}`)
