// The test configuration. Vitest 4 ignores the old workspace format, so this file is a plain
// config listing the projects; `npm test` runs `vitest run --config vitest.workspace.ts`.
import { defineConfig } from 'vitest/config';
import { isStrayDriverInitError } from './packages/db/src/stray-driver-errors.ts';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
    // The services log and ignore this known driver rejection (packages/process crash guards);
    // tests that cut MySQL connections on purpose can provoke it. Anything else still fails.
    onUnhandledError: (error) => !isStrayDriverInitError(error),
  },
});
