/**
 * The tests StrykerJS runs for each mutant of the gateway's Postgres backend and the driver's retry
 * (stryker.gateway.config.mjs): the gateway project (test/gateway), in Node, where those modules run, less the files
 * that never reach them.
 */
import { defineConfig, mergeConfig } from 'vitest/config'
import base from './vitest.config'

const { projects: _allProjects, ...shared } = base.test ?? {}

export default mergeConfig(
  { ...base, test: shared },
  defineConfig({
    test: {
      name: 'gateway',
      environment: 'node',
      include: ['test/gateway/**/*.test.ts'],
      // The embedded database starts at its first query (with TEST_DATABASE_URL, global setup migrates Postgres
      // only): on two cores busy with a mutation run, that first query alone has taken more than 20 s.
      testTimeout: 60_000,
      // Files that never reach the Postgres backend: configuration, endpoint rules, the driver's own side
      // (stryker.driver.config.mjs), the embedded database's durability.
      exclude: [
        'test/gateway/client-endpoints.test.ts',
        'test/gateway/driver-wrapper.test.ts',
        'test/gateway/durability.test.ts',
        'test/gateway/endpoint-settings.test.ts',
      ],
    },
  }),
)
