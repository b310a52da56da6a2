// @ts-check
/**
 * Mutation testing of the gateway's resilience paths (issue 23): its Postgres backend (session reset, retry of a
 * lone read, connection-time refusals, cancellation) and the statement groups it pipelines, against the gateway's
 * own tests. The driver's side (deadline, read retry) is stryker.driver.config.mjs.
 * `npx stryker run stryker.gateway.config.mjs`; needs TEST_DATABASE_URL (most of these paths exist only on Postgres).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
import base from './stryker.config.mjs'

export default {
  ...base,
  vitest: { configFile: 'vitest.mutation-gateway.config.ts' },
  mutate: ['db/gateway/backends/postgres.ts', 'db/gateway/backends/statement-group.ts'],
  // Two test processes: the run is long (see test/mutation-survivors.md); the real-Postgres tests wait more than they compute.
  concurrency: 2,
  incrementalFile: 'reports/mutation-gateway/stryker-incremental.json',
  htmlReporter: { fileName: 'reports/mutation-gateway/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-gateway/mutation.json' },
  // Its own sandbox folder, so that runs of different groups can go side by side.
  tempDirName: '.stryker-tmp-gateway',
}
