import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'checkout',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../../packages/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
