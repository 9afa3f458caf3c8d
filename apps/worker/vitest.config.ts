import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'worker',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../../packages/testing/src/global-setup.ts'],
    setupFiles: ['../../packages/testing/src/kill-spawned-services.setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
