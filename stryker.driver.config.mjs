// @ts-check
/**
 * Mutation testing of the driver wrapper (issue 23): the database client's endpoint rule and fetch
 * (db/client.ts), each call's deadline and the one retry of a lone read (db/deadline.ts), and the rule for what may
 * be sent again (db/plain-read.ts), against the gateway tests that go through createDatabase.
 * `npm run test:mutation:driver`; needs TEST_DATABASE_URL (the lost-answer tests cut connections to real Postgres).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
import base from './stryker.config.mjs'

export default {
  ...base,
  vitest: { configFile: 'vitest.mutation-driver.config.ts' },
  mutate: ['db/client.ts', 'db/deadline.ts', 'db/plain-read.ts'],
  concurrency: 1,
  htmlReporter: { fileName: 'reports/mutation-driver/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-driver/mutation.json' },
  // Its own sandbox folder, so that runs of different groups can go side by side.
  tempDirName: '.stryker-tmp-driver',
  incrementalFile: 'reports/mutation-driver/stryker-incremental.json',
}
