/**
 * One cold start in workerd (a fresh Miniflare, so a fresh process and isolate): the function's files evaluated as
 * scripts by a host Worker (through workerd's unsafe-eval binding), then one request to the function's handler.
 * Times are taken from outside, around each round trip into workerd (inside, workerd's clock stands still while code
 * runs, as on Workers). The host gives the function what Vercel's edge runtime and Next's sandbox give one:
 * `process.env`, `AsyncLocalStorage` and `require` of the few Node modules they allow (Next's build loads
 * `node:buffer` and `node:async_hooks` that way), hence `nodejs_compat` here, unlike the API's workerd tests.
 */
import type { Readable } from 'node:stream'
import { Miniflare } from 'miniflare'
import type { ColdStartJob } from './edge-cold-start-job'

const HOST_WORKER = `
import * as assert from 'node:assert'
import * as asyncHooks from 'node:async_hooks'
import * as buffer from 'node:buffer'
import * as events from 'node:events'
import * as util from 'node:util'
const nodeModules = { assert, async_hooks: asyncHooks, buffer, events, util }
globalThis.AsyncLocalStorage = asyncHooks.AsyncLocalStorage
globalThis.require = (name) => {
  const found = nodeModules[name.replace(/^node:/, '')]
  if (!found) throw new Error(name + ' is not one of the Node modules the edge runtime provides')
  return found
}
export default {
  async fetch(request, env) {
    const job = await request.json()
    const step = new URL(request.url).pathname
    if (step === '/load') {
      // Untimed: the sources reach the isolate before the clock starts.
      globalThis.__benchSources = job.files
      return new Response('loaded')
    }
    if (step === '/evaluate') {
      globalThis.process = { env: { ...job.processEnv, ...job.env, NEXT_RUNTIME: 'edge' } }
      for (const [name, code] of globalThis.__benchSources) env.UNSAFE_EVAL.eval(code, name)
      return new Response('evaluated')
    }
    const handler = (await globalThis._ENTRIES['middleware_' + job.entryName]).default
    const result = await handler({
      request: {
        url: job.request.url,
        method: job.request.method,
        headers: job.request.headers,
        nextConfig: { basePath: '', trailingSlash: false },
        page: { name: job.page },
        signal: request.signal,
        waitUntil: () => {},
      },
    })
    await result.response.arrayBuffer()
    return Response.json({ status: result.response.status })
  },
}
`

export interface ColdStart {
  evaluateMs: number
  firstResponseMs: number
  status: number
}

export async function coldStartInWorkerd(
  job: ColdStartJob,
  files: [string, string][],
  compatibilityDate: string,
): Promise<ColdStart> {
  const mf = new Miniflare({
    modules: true,
    script: HOST_WORKER,
    compatibilityDate,
    // Placeholder `request.cf` values: Miniflare would otherwise fetch real ones from Cloudflare.
    cf: false,
    compatibilityFlags: ['nodejs_compat'],
    unsafeEvalBinding: 'UNSAFE_EVAL',
    // The functions' own output (the API's access log) is not the benchmark's: read and dropped.
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.resume()
      stderr.resume()
    },
  })
  try {
    await mf.ready
    const post = (path: string, body: unknown) =>
      mf.dispatchFetch(`http://bench.local${path}`, { method: 'POST', body: JSON.stringify(body) })
    const loaded = await post('/load', { files })
    if (loaded.status !== 200) throw new Error(`load: ${loaded.status} ${await loaded.text()}`)
    const evaluating = performance.now()
    const evaluated = await post('/evaluate', job)
    if (evaluated.status !== 200) throw new Error(`evaluate: ${evaluated.status} ${await evaluated.text()}`)
    const evaluateMs = performance.now() - evaluating
    const answering = performance.now()
    const answer = await post('/call', job)
    const text = await answer.text()
    if (answer.status !== 200) throw new Error(`first response: ${answer.status} ${text}`)
    const firstResponseMs = performance.now() - answering
    return { evaluateMs, firstResponseMs, status: (JSON.parse(text) as { status: number }).status }
  } finally {
    await mf.dispose()
  }
}
