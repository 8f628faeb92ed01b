import { defineConfig } from 'vitest/config';

// `npm run test:dagger`: the Dagger module on a real engine, against the local control planes and a git
// server on loopback. Not part of `npm test`: these machines cannot have an engine (docs/ci-and-dagger.md).
export default defineConfig({
  test: {
    reporters: ['default', './test/setup/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'dagger',
          include: ['test/dagger/**/*.dagger.test.ts'],
          // The engine first: without one, nothing else starts.
          globalSetup: ['test/dagger/global-setup.ts', 'test/setup/tools.ts', 'test/e2e/cluster/global-setup.ts'],
          testTimeout: 1_800_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
