/**
 * The tests StrykerJS runs for each mutant of the production server's modules (stryker.server.config.mjs): the
 * in-process server tests, in Node.
 */
import { defineConfig, mergeConfig } from 'vitest/config'
import base from './vitest.config'

const { projects: _allProjects, ...shared } = base.test ?? {}

export default mergeConfig(
  { ...base, test: shared },
  defineConfig({
    test: {
      name: 'server',
      environment: 'node',
      include: [
        'test/server/client-address.test.ts',
        'test/server/local-secret.test.ts',
        'test/server/server-config.test.ts',
        'test/server/access-log-sink.test.ts',
        'test/server/http-server.test.ts',
      ],
    },
  }),
)
