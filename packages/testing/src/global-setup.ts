// Runs once per test project before its files: clears databases and Redis keys that a killed
// earlier run could not clean up, so the suite can run any number of times in a row.
import { dropLeftoverTestDatabases } from './test-database.ts';
import { deleteStaleTestRedisPrefixes } from './redis.ts';

export default async function setup(): Promise<void> {
  await dropLeftoverTestDatabases();
  await deleteStaleTestRedisPrefixes();
}
