/**
 * The tests StrykerJS runs for each mutant of the driver wrapper (stryker.driver.config.mjs): the gateway tests that
 * build the app's database client (createDatabase) or use its retry rule, in Node.
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
      include: [
        'test/gateway/lost-answers.test.ts',
        'test/gateway/app-during-outage.test.ts',
        'test/gateway/client-endpoints.test.ts',
        'test/gateway/failure-classification.test.ts',
        'test/gateway/driver-wrapper.test.ts',
      ],
    },
  }),
)
