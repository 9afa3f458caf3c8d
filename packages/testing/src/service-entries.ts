import { fileURLToPath } from 'node:url';

/**
 * Where each process starts, as an absolute path: what a test spawns to run the api, a worker,
 * the CLI or a database command as a real process, the same entry points `npm start` and the
 * build use. Named here once so that no test reaches into another folder by a relative path.
 */
export const serviceEntry = {
  api: fileURLToPath(new URL('../../../apps/api/src/main.ts', import.meta.url)),
  worker: fileURLToPath(new URL('../../../apps/worker/src/main.ts', import.meta.url)),
  cli: fileURLToPath(new URL('../../../apps/cli/src/main.ts', import.meta.url)),
  dbMigrate: fileURLToPath(new URL('../../../scripts/db-migrate.ts', import.meta.url)),
  dbSeed: fileURLToPath(new URL('../../../scripts/db-seed.ts', import.meta.url)),
} as const;
