import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@flash-sale/logger';
import { createProductCache, type ProductCache, type ProductSnapshot } from '../src/index.ts';
import { createFailFastRedis, redisReady } from '@flash-sale/queues';
import { CuttableProxy, deleteRedisPrefix, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';

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

describe('an entry from before a restart or failover of Redis', () => {
  it('is a miss to readers; a write of its version or a newer one makes it current, an older one never lands', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger: createLogger('test', 'silent') });
    await cache.writeThrough(snapshot(8, 9));
    expect(await cache.get(8)).toEqual(snapshot(8, 9));
    // As a server restarted from its snapshot on disk (or a promoted replica) holds it: written
    // under a run_id that is not the one of the server answering now.
    await redis.hset(`${prefix}:product:8`, 'r', 'a-server-gone-since');
    expect(await cache.get(8)).toBeUndefined();
    // A late, older snapshot (another process's) still does not replace it: MySQL's version
    // only grows, so the entry's version stays a floor.
    await cache.writeThrough(snapshot(8, 7));
    expect(await cache.get(8)).toBeUndefined();
    // MySQL's truth, read after the miss, makes it this server's, even at the same version.
    await cache.writeThrough(snapshot(8, 9));
    expect(await cache.get(8)).toEqual(snapshot(8, 9));
  });

  it('is not trusted from a read whose connection closed before its answer came (ioredis resends it to whichever server answers next)', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger: createLogger('test', 'silent') });
    await cache.writeThrough(snapshot(10, 3));
    const realHmget = redis.hmget.bind(redis);
    const hmget = vi.spyOn(redis, 'hmget').mockImplementationOnce(async (...args: Parameters<Redis['hmget']>) => {
      const reply = await realHmget(...args);
      // As ioredis says when the socket drops; the reply then comes from the resent command.
      redis.emit('close');
      return reply;
    });
    try {
      expect(await cache.get(10)).toBeUndefined();
      expect(await cache.get(10)).toEqual(snapshot(10, 3));
    } finally {
      hmget.mockRestore();
    }
  });

  it('is what an entry of an earlier release is (no run_id): a miss, filled by the next write, never by an older one', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger: createLogger('test', 'silent') });
    await redis.hset(`${prefix}:product:9`, 'v', '5', 'd', JSON.stringify(snapshot(9, 5)));
    expect(await cache.get(9)).toBeUndefined();
    await cache.writeThrough(snapshot(9, 4));
    expect(await cache.get(9)).toBeUndefined();
    await cache.writeThrough(snapshot(9, 5));
    expect(await cache.get(9)).toEqual(snapshot(9, 5));
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

describe('cached reads of one product', () => {
  const logger = createLogger('test', 'silent');

  it('share one HMGET when they arrive in the same turn of the event loop', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger });
    await cache.writeThrough(snapshot(20, 3));
    await cache.writeThrough(snapshot(21, 4));
    const hmget = vi.spyOn(redis, 'hmget');
    try {
      const reads = await Promise.all([...Array.from({ length: 20 }, () => cache.get(20)), cache.get(21), cache.get(21)]);
      expect(reads.slice(0, 20).every((read) => read?.stockVersion === 3)).toBe(true);
      expect(reads.slice(20).map((read) => read?.stockVersion)).toEqual([4, 4]);
      // One per product, however many readers.
      expect(hmget).toHaveBeenCalledTimes(2);
    } finally {
      hmget.mockRestore();
    }
  });

  it('never join an HMGET already sent: a read that starts after a write-through gets the new snapshot', async () => {
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger });
    // Another api process writing through, on a connection of its own.
    const otherRedis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    const otherProcess = createProductCache(otherRedis, { keyPrefix: prefix, ttlSeconds: 60, logger });
    await otherProcess.writeThrough(snapshot(22, 1));
    const realHmget = redis.hmget.bind(redis);
    let answered!: () => void;
    let openGate!: () => void;
    const replyRead = new Promise<void>((resolve) => (answered = resolve));
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    // The first HMGET's answer (version 1) is held back on its way to the cache until the gate opens.
    const hmget = vi.spyOn(redis, 'hmget').mockImplementationOnce(async (...args: Parameters<Redis['hmget']>) => {
      const reply = await realHmget(...args);
      answered();
      await gate;
      return reply;
    });
    try {
      const early = cache.get(22);
      await replyRead;
      await otherProcess.writeThrough(snapshot(22, 2));
      // `early`'s HMGET has been answered with version 1 but its answer is still on its way: a
      // read starting now must not share it.
      const late = cache.get(22);
      const lateVersion = late.then((read) => read?.stockVersion);
      openGate();
      expect(await lateVersion).toBe(2);
      expect((await early)?.stockVersion).toBe(1);
      expect(hmget).toHaveBeenCalledTimes(2);
    } finally {
      openGate();
      hmget.mockRestore();
      otherRedis.disconnect();
    }
  });

  it('reject every read that shared the HMGET when Redis is unreachable (the product reader then reads MySQL)', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const cache = createProductCache(down, { keyPrefix: prefix, ttlSeconds: 60, logger });
      const reads = await Promise.allSettled([cache.get(23), cache.get(23)]);
      expect(reads.map((read) => read.status)).toEqual(['rejected', 'rejected']);
    } finally {
      down.disconnect();
    }
  });
});

describe('a change whose snapshot could neither be written nor dropped (Redis cut off)', () => {
  const logger = createLogger('test', 'silent');
  // What another process reads, on a connection of its own.
  const elsewhere = () => createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger });

  /** A cache on a connection through a proxy the test cuts and restores; run with it, then closed. */
  async function withCacheBehindProxy(run: (cache: ProductCache, network: { cut(): Promise<void>; restore(): Promise<void> }) => Promise<void>, cacheLogger = logger) {
    const { proxy, url } = await CuttableProxy.inFrontOf(testRedisUrl());
    const viaProxy = createFailFastRedis(url, { connectionName: 'product-cache-test' });
    viaProxy.on('error', () => undefined);
    try {
      await redisReady(viaProxy, 5_000, 'the proxied connection did not come up');
      await run(createProductCache(viaProxy, { keyPrefix: prefix, ttlSeconds: 60, logger: cacheLogger }), {
        cut: () => proxy.down(),
        restore: async () => {
          await proxy.up();
          await redisReady(viaProxy, 10_000, 'the proxied connection did not come back');
        },
      });
    } finally {
      viaProxy.disconnect();
      await proxy.down();
    }
  }

  const rawEntry = (productId: number) => redis.hgetall(`${prefix}:product:${productId}`);

  it('is a miss to this process until Redis answers, then dropped for every process, its version kept', async () => {
    await withCacheBehindProxy(async (cache, network) => {
      await cache.writeThrough(snapshot(30, 1));
      await network.cut();
      // The change committed; both its write-through and the drop after it fail.
      await cache.writeThrough(snapshot(30, 2));
      expect((await elsewhere().get(30))?.stockVersion).toBe(1);
      await network.restore();
      // From the moment it is back, this process never serves the entry from before the change.
      expect(await cache.get(30)).toBeUndefined();
      // And the entry is repaired for every process, without a read or a change to prompt it:
      // no snapshot (the next read refills it from MySQL), and version 2 as a floor.
      await vi.waitFor(async () => expect(await rawEntry(30)).toEqual({ v: '2', r: expect.any(String) }), { timeout: 5_000 });
      expect(await elsewhere().get(30)).toBeUndefined();
      await elsewhere().writeThrough(snapshot(30, 1));
      expect(await elsewhere().get(30)).toBeUndefined();
      await elsewhere().writeThrough(snapshot(30, 2));
      expect((await cache.get(30))?.stockVersion).toBe(2);
    });
  });

  it('never brings back its older snapshot over a newer one that expired meanwhile', async () => {
    await withCacheBehindProxy(async (cache, network) => {
      await network.cut();
      await cache.writeThrough(snapshot(32, 2));
      // Another process wrote version 3 during the cut; its entry then expired.
      await elsewhere().writeThrough(snapshot(32, 3));
      await redis.del(`${prefix}:product:32`);
      await network.restore();
      await vi.waitFor(async () => expect((await rawEntry(32)).v).toBe('2'), { timeout: 5_000 });
      // No snapshot of version 2 is served: the next read goes to MySQL (version 3).
      expect(await elsewhere().get(32)).toBeUndefined();
    });
  });

  it('while Redis is down, fails the reads of a product it owes (the reader\'s outage path), and says the debt once', async () => {
    const warnings: string[] = [];
    const counting = createLogger('test', 'silent');
    const warn = vi.spyOn(counting, 'warn').mockImplementation(((_fields: unknown, message?: string) => void warnings.push(String(message))) as never);
    await withCacheBehindProxy(async (cache, network) => {
      await network.cut();
      for (let attempt = 0; attempt < 3; attempt += 1) await cache.writeThrough(snapshot(33, 2));
      const reads = await Promise.allSettled(Array.from({ length: 5 }, () => cache.get(33)));
      expect(reads.map((read) => read.status)).toEqual(Array(5).fill('rejected'));
      await network.restore();
    }, counting);
    warn.mockRestore();
    expect(warnings.filter((message) => message.startsWith('cached product snapshot may show'))).toHaveLength(1);
  });

  it('after a COMMIT in doubt whose drop failed, drops the snapshot once Redis answers, keeping the version as a floor', async () => {
    await withCacheBehindProxy(async (cache, network) => {
      await cache.writeThrough(snapshot(31, 1));
      await network.cut();
      // The commit would have made version 2; whether it did is unknown.
      await cache.forget(31, 2);
      await network.restore();
      expect(await cache.get(31)).toBeUndefined();
      await vi.waitFor(async () => expect(await rawEntry(31)).toEqual({ v: '2', r: expect.any(String) }), { timeout: 5_000 });
      // Another process's version 1, late, is refused.
      await elsewhere().writeThrough(snapshot(31, 1));
      expect(await elsewhere().get(31)).toBeUndefined();
    });
  });
});
