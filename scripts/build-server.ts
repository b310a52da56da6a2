/**
 * `npm run build`, last step: completes Next's `.next/standalone` into the artefact `npm start` runs with plain
 * `node` (decision 0018): our server bundled into one file, plus what Next leaves out (static files, public/),
 * the migrations, and PGlite for the embedded default.
 */
import { cpSync, existsSync, rmSync, statSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'

const STANDALONE = '.next/standalone'

if (!existsSync(join(STANDALONE, '.next'))) {
  throw new Error(`${STANDALONE} is missing: next.config.ts must say output: 'standalone'.`)
}

await build({
  entryPoints: ['server/main.ts'],
  outfile: join(STANDALONE, 'server.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // next (and React under it) is in the standalone node_modules, traced by Next; PGlite loads its WASM and data
  // files from beside its own modules, so it is copied whole rather than bundled.
  external: ['next', '@next/env', 'react', 'react-dom', '@electric-sql/pglite', 'pg-native'],
  // CommonJS dependencies (pg, sonic-boom) call require() for Node's modules: give the ES module one.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
})

const copies: [string, string][] = [
  ['.next/static', join(STANDALONE, '.next/static')],
  ['public', join(STANDALONE, 'public')],
  ['db/migrations', join(STANDALONE, 'migrations')],
  ['node_modules/@electric-sql/pglite', join(STANDALONE, 'node_modules/@electric-sql/pglite')],
]
for (const [from, to] of copies) {
  if (existsSync(from)) cpSync(from, to, { recursive: true })
}
// Next's own server.js would start Next alone (no Hono on Node, no gateway): server.mjs replaces it.
rmSync(join(STANDALONE, 'server.js'), { force: true })

console.log(
  `✓ production server in ${STANDALONE} (${await sizeInMiB(STANDALONE)} MiB): node ${STANDALONE}/server.mjs`,
)

async function sizeInMiB(directory: string): Promise<string> {
  let bytes = 0
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size
  }
  return (bytes / 1024 / 1024).toFixed(1)
}
