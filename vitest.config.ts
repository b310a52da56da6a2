/** Test projects: the local endpoint (Node), the Hono app in the edge runtime, and the built app end to end. */
import { defineConfig } from 'vitest/config'

// The driver turns a JS Date into local time with an offset; pin the zone so expectations do not depend on the machine.
process.env.TZ = 'UTC'

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'local-db', environment: 'node', include: ['test/local-db/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'edge',
          environment: 'edge-runtime',
          include: ['test/api/**/*.test.ts', 'test/auth/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'contract', environment: 'node', include: ['test/contract/**/*.test.ts'] },
      },
      // The built app (next build + next start): minutes, so only with `npm run test:e2e` (E2E=1).
      ...(process.env.E2E === '1'
        ? [
            {
              extends: true as const,
              test: {
                name: 'e2e',
                environment: 'node',
                include: ['test/e2e/**/*.test.ts'],
                // After the root setup (the run's SQL endpoint): builds and serves the app once for every e2e file.
                globalSetup: ['test/e2e/built-server.ts'],
                testTimeout: 60_000,
                hookTimeout: 300_000,
              },
            },
          ]
        : []),
    ],
  },
})
