/**
 * The tests StrykerJS runs for each mutant (stryker.config.mjs): only the edge project (test/api, test/auth), the
 * one that exercises the mutated modules (auth, env, same-origin, routes, queries, middleware.ts) in the edge runtime.
 */
import { defineConfig, mergeConfig } from 'vitest/config'
import base from './vitest.config'

const { projects: _allProjects, ...shared } = base.test ?? {}

export default mergeConfig(
  { ...base, test: shared },
  defineConfig({
    test: {
      name: 'edge',
      environment: 'edge-runtime',
      include: ['test/api/**/*.test.ts', 'test/auth/**/*.test.ts'],
    },
  }),
)
