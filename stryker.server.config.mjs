// @ts-check
/**
 * Mutation testing of the production server's modules (issue 23): its settings, the client address (TRUST_PROXY),
 * the access-log sink, the local token secret and the HTTP layer (routing, refusals, the drain), against the server
 * project's tests, which run them in-process over real sockets. `npm run test:mutation:server`.
 *
 * server/main.ts is not here: it starts a server when it loads, and the tests run it only as the built bundle
 * (`node .next/standalone/server.mjs`, test/e2e), out of reach of Stryker's instrumented copy. See
 * test/mutation-survivors.md for how its promises are pinned instead.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
import base from './stryker.config.mjs'

export default {
  ...base,
  vitest: { configFile: 'vitest.mutation-server.config.ts' },
  mutate: [
    'server/config.ts',
    'server/client-address.ts',
    'server/access-log-sink.ts',
    'server/local-secret.ts',
    'server/http-server.ts',
  ],
  concurrency: 1,
  htmlReporter: { fileName: 'reports/mutation-server/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-server/mutation.json' },
  // Its own sandbox folder, so that runs of different groups can go side by side.
  tempDirName: '.stryker-tmp-server',
  incrementalFile: 'reports/mutation-server/stryker-incremental.json',
}
