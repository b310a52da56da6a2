/** Test projects: the gateway (Node), the Hono app in the edge runtime, and the built app end to end. */
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
    // Tests send a lowercase `patch` on purpose (methods are case-sensitive: it is a 501), and undici warns about it
    // once per worker: noise in every run, never news. Only that warning's code is silenced.
    execArgv: ['--disable-warning=UNDICI-FETCH-patch'],
    projects: [
      {
        extends: true,
        test: { name: 'gateway', environment: 'node', include: ['test/gateway/**/*.test.ts'] },
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
      // The same API tests, answered by the app inside workerd (Cloudflare's runtime: no Node global at all) rather
      // than the edge VM: `npm run test:workerd` (WORKERD=1). The test code runs in Node; every request goes to workerd.
      ...(process.env.WORKERD === '1'
        ? [
            {
              extends: true as const,
              test: {
                name: 'workerd',
                environment: 'node' as const,
                include: ['test/api/**/*.test.ts', 'test/auth/**/*.test.ts'],
                exclude: [
                  // Their database stand-ins (refusing, slow, misconfigured) are objects of the test process.
                  'test/api/failures.test.ts',
                  // It counts round trips by wrapping the driver's fetch in the test process: in workerd the driver
                  // runs in the Worker, out of its sight.
                  'test/api/round-trips.test.ts',
                  // The same, and it calls the pages' reads in the test process: no request for workerd to answer.
                  'test/api/page-view.test.ts',
                  // No request to the app: configuration, pure functions, the document, the seal, the middleware's
                  // gate (Next's middleware, which a Workers deployment does not have). Running them here would
                  // prove nothing about workerd.
                  'test/api/env.test.ts',
                  'test/api/docs-page.test.ts',
                  'test/api/openapi.test.ts',
                  'test/api/outcome-seal.test.ts',
                  'test/auth/config.test.ts',
                  'test/auth/middleware.test.ts',
                  'test/auth/password.test.ts',
                  'test/auth/tokens.test.ts',
                ],
                globalSetup: ['test/workerd/global-setup.ts'],
              },
            },
          ]
        : []),
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
                  ? ['test/e2e/production-server.test.ts', 'test/e2e/multi-instance.test.ts']
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
