import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@flash-sale/logger';
import { createProductCache, type ProductSnapshot } from '../src/index.ts';
import { deleteRedisPrefix, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';

const prefix = uniqueRedisPrefix();
let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis.disconnect();
  await deleteRedisPrefix(prefix);
});

const snapshot = (id: number, stockVersion: number): ProductSnapshot => ({
  id,
  code: `P-${id}`,
  name: 'Cached',
  price: '10.00',
  totalStock: 100,
  availableStock: 100 - stockVersion,
  stockVersion,
});

describe('product cache write-through', () => {
  it('never lets an older snapshot overwrite a newer one', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger: createLogger('test', 'silent') });
    await cache.writeThrough(snapshot(1, 7));
    await cache.writeThrough(snapshot(1, 6));
    expect(await cache.get(1)).toEqual(snapshot(1, 7));
    await cache.writeThrough(snapshot(1, 8));
    expect(await cache.get(1)).toEqual(snapshot(1, 8));
  });

  it('ends at the newest snapshot whatever order concurrent writes land in', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger: createLogger('test', 'silent') });
    const versions = Array.from({ length: 50 }, (_, index) => index + 1).sort(() => Math.random() - 0.5);
    await Promise.all(versions.map((version) => cache.writeThrough(snapshot(2, version))));
    expect((await cache.get(2))?.stockVersion).toBe(50);
  });

  it('expires entries after the configured TTL and misses on an unknown product', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 42, logger: createLogger('test', 'silent') });
    const writtenBefore = Date.now();
    await cache.writeThrough(snapshot(3, 1));
    const ttlMs = await redis.pttl(`${prefix}:product:3`);
    // Whatever time passed since the write is all the TTL may have lost.
    expect(ttlMs).toBeGreaterThanOrEqual(42_000 - (Date.now() - writtenBefore));
    expect(ttlMs).toBeLessThanOrEqual(42_000);
    expect(await cache.get(4)).toBeUndefined();
  });
});
