// @ts-check
/**
 * Mutation testing of the security- and data-critical modules (npm run test:mutation). Slow (see README, Testing):
 * run one group at a time with `npm run test:mutation -- --mutate 'edge/auth/**'`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  // Each mutant runs only the tests that reached it in the first, instrumented run.
  coverageAnalysis: 'perTest',
  // A mutant in code that runs when a module loads (a constant, a set of public paths) is reached by no test in
  // particular, so each needs the whole edge project (~40 s): hundreds of them would take hours on two cores. They
  // are reported as ignored, not scored; the README's Testing section says which constants tests pin by value.
  ignoreStatic: true,
  mutate: [
    'edge/auth/**/*.ts',
    'edge/env.ts',
    'edge/same-origin.ts',
    'edge/routes/**/*.ts',
    'db/queries/**/*.ts',
    'middleware.ts',
  ],
  // Two cores, shared: one or two vitest processes at a time, each with its own SQL endpoint.
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Other groups' sandboxes and reports (runs of different groups may go side by side) are not part of the project.
  ignorePatterns: ['.next', '.data', 'test-results', 'coverage', 'docs', '.stryker-tmp*', 'reports'],
  // Stryker rewrites tsconfig.json's out-of-project paths (ours has none) with TypeScript's JavaScript API, which
  // TypeScript 7 no longer ships: point it at a file that does not exist so the sandbox keeps ours as it is.
  tsconfigFile: 'tsconfig.stryker-has-none.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
}
