// @ts-check
/**
 * Mutation testing of Idempotency-Key (issue 23): the header, the fingerprint (edge/idempotency.ts) and its SQL
 * (db/queries/idempotency.ts, also in the main run's db/queries group), against the edge tests that send keys.
 * `npm run test:mutation:idempotency`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
import base from './stryker.config.mjs'

export default {
  ...base,
  vitest: { configFile: 'vitest.mutation-idempotency.config.ts' },
  mutate: ['edge/idempotency.ts', 'db/queries/idempotency.ts'],
  concurrency: 1,
  htmlReporter: { fileName: 'reports/mutation-idempotency/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-idempotency/mutation.json' },
  // Its own sandbox folder, so that runs of different groups can go side by side.
  tempDirName: '.stryker-tmp-idempotency',
  incrementalFile: 'reports/mutation-idempotency/stryker-incremental.json',
}
