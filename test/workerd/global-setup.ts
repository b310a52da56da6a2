/**
 * Global setup of the workerd project: bundles test/workerd/test-worker.ts (the app from edge/) as a Worker and
 * serves it from workerd through Miniflare, with no Node.js compatibility: no `process`, `Buffer` or `require`.
 */
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import type { TestProject } from 'vitest/node'
import { COMPATIBILITY_DATE } from '../../workers/compatibility'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the test Worker listens; unset outside the workerd project. */
    workerdUrl: string
  }
}

export default async function setup(project: TestProject) {
  const bundle = await build({
    entryPoints: ['test/workerd/test-worker.ts'],
    bundle: true,
    format: 'esm',
    // What Workers' own bundler resolves for: the `workerd`/`worker`/`browser` builds of packages, never Node's.
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    write: false,
    logLevel: 'error',
  })
  const mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]?.text ?? '',
    compatibilityDate: COMPATIBILITY_DATE,
    // Placeholder `request.cf` values: Miniflare would otherwise fetch real ones from Cloudflare.
    cf: false,
    host: '127.0.0.1',
    port: 0,
  })
  const url = await mf.ready
  project.provide('workerdUrl', url.href)
  return async () => {
    await mf.dispose()
  }
}
