/**
 * One cold start in Next's own edge sandbox (the EdgeRuntime VM `next start` runs edge functions in), in a fresh
 * process: evaluates the function's files, then answers one request. Prints `{ evaluateMs, firstResponseMs, status }`
 * as JSON. Run by scripts/bench-edge.ts with the function as JSON in argv[2]. Plain JavaScript run by node: under
 * tsx, Next's sandbox never finished creating its context.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
// Next's sandbox, as `next start` uses it (an internal module: pinned with next in package.json).
const { getModuleContext } = require('next/dist/server/web/sandbox/context.js')

/** @type {import('./edge-cold-start-job').ColdStartJob} */
const job = JSON.parse(process.argv[2] ?? '{}')
Object.assign(process.env, job.processEnv)
const paths = job.files.map((file) => join(job.distDir, file))
const entry = { name: job.entryName, files: job.files, env: job.env, wasm: [], assets: [] }
const common = { moduleName: job.entryName, onWarning: () => {}, onError: () => {}, useCache: true }

// Next's sandbox waits on work that does not keep Node's event loop alive (Next's server always has a socket open).
setInterval(() => {}, 1000)
const context = await getModuleContext({ ...common, edgeFunctionEntry: entry, distDir: job.distDir })
const evaluating = performance.now()
for (const path of paths) context.evaluateInContext(path)
const evaluateMs = performance.now() - evaluating

const answering = performance.now()
// Next's `run` (sandbox.js) would evaluate nothing more here and then do exactly this call.
const handler = (await context.runtime.context._ENTRIES[`middleware_${job.entryName}`]).default
const result = await handler({
  request: {
    url: job.request.url,
    method: job.request.method,
    headers: job.request.headers,
    nextConfig: { basePath: '', trailingSlash: false },
    page: { name: job.page },
    signal: new AbortController().signal,
    waitUntil: () => {},
  },
})
await result.response.arrayBuffer()
const firstResponseMs = performance.now() - answering
console.log(JSON.stringify({ evaluateMs, firstResponseMs, status: result.response.status }))
process.exit(0)
