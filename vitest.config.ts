import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['api/test/**/*.test.ts', 'sdk/test/**/*.test.ts', 'cli/test/**/*.test.ts', 'deploy/test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores here: two files at a time keeps the concurrency tests honest.
    maxWorkers: 2,
    reporters: ['default', './test/harness/summary-reporter.ts'],
  },
});
