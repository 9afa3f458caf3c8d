import { Redis } from 'ioredis';
import { createdAtOf, uniqueName } from './stamped-names.ts';

export const TEST_REDIS_PREFIX_ROOT = 'fs-test:';

export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A key prefix of this test file's own: `fs-test:<created, base36>_<random>`. */
export function uniqueRedisPrefix(): string {
  return uniqueName(TEST_REDIS_PREFIX_ROOT);
}

/** Deletes every key under the prefix. */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  await deleteRedisKeys(`${prefix}*`, () => true);
}

/**
 * Deletes the keys of test prefixes created over 30 minutes ago: those a killed run could not
 * clean up. A young prefix may belong to a run going on right now (another project, another
 * checkout), and keeps its keys.
 */
export async function deleteStaleTestRedisPrefixes(): Promise<void> {
  const stale = Date.now() - 30 * 60_000;
  await deleteRedisKeys(`${TEST_REDIS_PREFIX_ROOT}*`, (key) => createdAtOf(key, TEST_REDIS_PREFIX_ROOT) < stale);
}

async function deleteRedisKeys(pattern: string, chosen: (key: string) => boolean): Promise<void> {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const doomed = keys.filter(chosen);
      if (doomed.length) await redis.del(...doomed);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
