/**
 * The tests StrykerJS runs for each mutant of Idempotency-Key (stryker.idempotency.config.mjs): the edge tests that
 * send the header or run its SQL, in the edge runtime where the module runs.
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
      include: ['test/api/idempotency.test.ts', 'test/api/queries.test.ts', 'test/api/round-trips.test.ts'],
    },
  }),
)
