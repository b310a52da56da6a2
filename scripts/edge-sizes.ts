/** `npm run size:edge` (after `npm run build`): the size of every edge function of the build, raw and gzipped. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

interface EdgeFunction {
  files: string[]
}

const manifestPath = '.next/server/middleware-manifest.json'
if (!existsSync(manifestPath)) {
  console.error('No build found: run `npm run build` first.')
  process.exit(1)
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
  middleware: Record<string, EdgeFunction>
  functions: Record<string, EdgeFunction>
}

const entries = [
  ...Object.entries(manifest.middleware).map(([name, fn]) => [`middleware (${name})`, fn] as const),
  ...Object.entries(manifest.functions),
]
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`
console.log('edge function                     raw        gzip')
for (const [name, fn] of entries) {
  const contents = fn.files.map((file) => readFileSync(join('.next', file)))
  const raw = contents.reduce((sum, content) => sum + content.length, 0)
  const gzip = contents.reduce((sum, content) => sum + gzipSync(content).length, 0)
  console.log(`${name.padEnd(32)}  ${kib(raw).padStart(8)}  ${kib(gzip).padStart(8)}`)
}
