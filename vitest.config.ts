import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One file at a time: the machine has 2 cores and every file shares one Postgres/Temporal/stripe-mock.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    // Installs missing tools, starts Postgres + Temporal dev server + stripe-mock + mail catcher, bundles workflows.
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/reporters/summary-line.ts'],
  },
});
