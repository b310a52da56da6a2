/**
 * The tests StrykerJS runs for each mutant of the gateway's Postgres backend and the driver's retry
 * (stryker.gateway.config.mjs): the gateway project (test/gateway), in Node, where those modules run.
 */
import { defineConfig, mergeConfig } from 'vitest/config'
import base from './vitest.config'

const { projects: _allProjects, ...shared } = base.test ?? {}

export default mergeConfig(
  { ...base, test: shared },
  defineConfig({
    test: { name: 'gateway', environment: 'node', include: ['test/gateway/**/*.test.ts'] },
  }),
)
