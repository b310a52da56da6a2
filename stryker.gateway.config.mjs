// @ts-check
/**
 * Mutation testing of the resilience paths (issue 23): the gateway's Postgres backend (session reset, retry of a
 * lone read, connection-time refusals) and the driver's deadline and read retry, against the gateway's own tests.
 * `npx stryker run stryker.gateway.config.mjs`; needs TEST_DATABASE_URL (most of these paths exist only on Postgres).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
import base from './stryker.config.mjs'

export default {
  ...base,
  vitest: { configFile: 'vitest.mutation-gateway.config.ts' },
  mutate: ['db/gateway/backends/postgres.ts', 'db/gateway/backends/statement-group.ts', 'db/deadline.ts'],
  htmlReporter: { fileName: 'reports/mutation-gateway/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-gateway/mutation.json' },
  // Its own sandbox folder, so that runs of different groups can go side by side.
  tempDirName: '.stryker-tmp-gateway',
}
