// Runs once per test project before its files: clears databases and Redis keys that a killed
// earlier run could not clean up, so the suite can run any number of times in a row.
import { Redis } from 'ioredis';
import { dropLeftoverTestDatabases } from '@flash-sale/db/testing';
import { TEST_REDIS_PREFIX_ROOT } from './redis.ts';

export default async function setup(): Promise<void> {
  await dropLeftoverTestDatabases();
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  try {
    const stale = Date.now() - 30 * 60_000;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${TEST_REDIS_PREFIX_ROOT}*`, 'COUNT', 1000);
      cursor = next;
      // Prefixes carry their creation time; only old ones are swept, so a run going on at the
      // same time (another project, another checkout) keeps its keys.
      const old = keys.filter((key) => Number.parseInt(key.slice(TEST_REDIS_PREFIX_ROOT.length).split('_')[0] ?? '', 36) < stale);
      if (old.length) await redis.del(...old);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
