/** Test projects: the local endpoint (Node), the Hono app in the edge runtime, and the built app end to end. */
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The driver turns a JS Date into local time with an offset; pin the zone so expectations do not depend on the machine.
process.env.TZ = 'UTC'

export default defineConfig({
  // tsconfig's `@/*` paths, so tests can import the app's own route files (app/**/route.ts) as Next does.
  resolve: { alias: [{ find: /^@\//, replacement: fileURLToPath(new URL('./', import.meta.url)) }] },
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
      // The production server's Node-only parts (settings, client address), without a build.
      {
        extends: true,
        test: { name: 'server', environment: 'node', include: ['test/server/**/*.test.ts'] },
      },
      // The built app, served two ways (test/e2e/built-server.ts): minutes, so only with `npm run test:e2e` (E2E=1).
      ...(process.env.E2E === '1'
        ? (['e2e', 'e2e-node'] as const).map((name) => ({
            extends: true as const,
            test: {
              // e2e: next start, every function on the edge runtime. e2e-node: the production server (Hono on Node).
              name,
              environment: 'node' as const,
              include: ['test/e2e/**/*.test.ts'],
              // Each server's own behaviour is tested against it alone: the production server's (signals, proxies,
              // the artefact, its problems for what Node refuses), and what next start leaves to Next and Node.
              // The build's edge budgets are the build's, whoever serves it: checked once, in the e2e project.
              exclude:
                name === 'e2e'
                  ? ['test/e2e/production-server.test.ts']
                  : ['test/e2e/next-start-answers.test.ts', 'test/e2e/edge-budgets.test.ts'],
              // After the root setup (the run's SQL endpoint): builds once, then serves the build for this project.
              globalSetup: ['test/e2e/built-server.ts'],
              testTimeout: 60_000,
              hookTimeout: 300_000,
            },
          }))
        : []),
    ],
  },
})
