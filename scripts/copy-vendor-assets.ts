/**
 * Copies browser bundles we serve ourselves out of node_modules into public/ (git-ignored), so the API reference
 * at /api/docs works offline and loads nothing from a CDN. Run by the npm hooks predev, prebuild, pretest and
 * pretest:e2e.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { SCALAR_BUNDLE_PATH } from '../edge/openapi'

const require = createRequire(import.meta.url)

/** The root folder of an installed package (its exports map hides package.json and the browser build). */
function packageRoot(name: string): string {
  let folder = dirname(require.resolve(name))
  while (!existsSync(join(folder, 'package.json'))) folder = dirname(folder)
  return folder
}

const assets = [
  {
    // The single-file UMD build: one request, and it sets window.Scalar, which the rendered page calls.
    from: join(packageRoot('@scalar/api-reference'), 'dist/browser/standalone.js'),
    to: join('public', SCALAR_BUNDLE_PATH),
  },
]

for (const { from, to } of assets) {
  if (!existsSync(from)) {
    console.error(`copy-vendor-assets: ${from} is missing: has the package changed its layout?`)
    process.exit(1)
  }
  mkdirSync(dirname(to), { recursive: true })
  // Without its source map (17 MiB, not shipped), so browsers' dev tools do not ask for a file that is not there.
  writeFileSync(to, readFileSync(from, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'))
  console.log(`copy-vendor-assets: ${relative(process.cwd(), from)} -> ${to}`)
}
