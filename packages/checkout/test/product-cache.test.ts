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

describe('after a write-through that failed', () => {
  it('keeps the version it was writing: reads miss, an older snapshot landing late is refused, the same version fills it', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger: createLogger('test', 'silent') });
    await cache.writeThrough(snapshot(5, 5));
    // v7 could not be written (say, a timeout): what its writer does then.
    await cache.forget(5, 7);
    expect(await cache.get(5)).toBeUndefined();
    // Another process's v6, slower, lands now: it must not become the cached truth.
    await cache.writeThrough(snapshot(5, 6));
    expect(await cache.get(5)).toBeUndefined();
    // A read of MySQL finds v7 and fills the entry; later changes go on as usual.
    await cache.writeThrough(snapshot(5, 7));
    expect(await cache.get(5)).toEqual(snapshot(5, 7));
    await cache.writeThrough(snapshot(5, 8));
    expect(await cache.get(5)).toEqual(snapshot(5, 8));
    expect(await redis.ttl(`${prefix}:product:5`)).toBeGreaterThan(0);
  });

  it('leaves a newer snapshot that landed meanwhile in place', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger: createLogger('test', 'silent') });
    await cache.writeThrough(snapshot(6, 9));
    await cache.forget(6, 8);
    expect(await cache.get(6)).toEqual(snapshot(6, 9));
  });
});
