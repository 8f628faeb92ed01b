import { defineConfig } from 'vitest/config';
import { prepareCanaryRun } from './test/setup/canary.js';

// Canary mode is on unless GITOPS_FLOW_CANARY=0: set before any worker starts (they inherit the env).
prepareCanaryRun();

export default defineConfig({
  test: {
    reporters: ['default', './test/setup/summary-reporter.ts', './test/setup/canary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: ['test/setup/tools.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/tools.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          globalSetup: ['test/setup/tools.ts', 'test/e2e/cluster/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
