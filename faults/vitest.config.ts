import { defineConfig } from 'vitest/config';
import { isStrayDriverInitError } from '../packages/db/src/stray-driver-errors.ts';

// The fault suite (`npm run test:faults`): the services as real processes while their stores
// fail and their processes are killed. Files run one at a time: each case loads the machine and
// reads server-wide counters (InnoDB's deadlock count), which parallel files would disturb.
export default defineConfig({
  test: {
    name: 'faults',
    root: import.meta.dirname,
    include: ['**/*.fault.ts'],
    globalSetup: ['../packages/testing/src/global-setup.ts'],
    setupFiles: ['../packages/testing/src/kill-spawned-services.setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    onUnhandledError: (error) => !isStrayDriverInitError(error),
  },
});
