import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '@flash-sale/db';
import { createTestDatabase, deleteRedisPrefix, TestClock, type TestDatabase, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';
import { createLogger, type Logger } from '@flash-sale/logger';
import { createProductCache, createProductReader, systemClock, type ProductCache } from '../src/index.ts';
import { OUTAGE_SETTLE_MS } from '../src/products/product-reader.ts';

const prefix = uniqueRedisPrefix();
const logger = createLogger('test', 'silent');
let database: TestDatabase;
let redis: Redis;
beforeAll(async () => {
  database = await createTestDatabase();
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis?.disconnect();
  await deleteRedisPrefix(prefix);
  await database?.drop();
});

async function createProduct(stock: number): Promise<number> {
  const product = await database.db.product.create({ data: { code: `R-${Date.now()}-${Math.random()}`, name: 'Read', price: '5.00', totalStock: stock, availableStock: stock } });
  return product.id;
}

/** The reader's MySQL reads, counted; each goes to the real database. */
function countingDb() {
  const findUnique = vi.fn(async (args: { where: { id: number } }) => database.db.product.findUnique(args));
  return { db: { product: { findUnique } } as unknown as Db, findUnique };
}

describe('product reads the cache cannot answer', () => {
  it('share one MySQL read and one write-through per product when they miss in the same turn', async () => {
    const [first, second] = [await createProduct(7), await createProduct(9)];
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger });
    const writeThrough = vi.spyOn(cache, 'writeThrough');
    const { db, findUnique } = countingDb();
    const reader = createProductReader({ db, productCache: cache, logger, clock: systemClock });

    const reads = await Promise.all([...Array.from({ length: 20 }, () => reader.get(first)), reader.get(second), reader.get(second)]);

    expect(reads.map((read) => read.availableStock)).toEqual([...Array<number>(20).fill(7), 9, 9]);
    // One per product, however many readers missed.
    expect(findUnique).toHaveBeenCalledTimes(2);
    expect(writeThrough).toHaveBeenCalledTimes(2);
    expect((await cache.get(first))?.availableStock).toBe(7);
  });

  it('say once that the cache stopped answering, and once that it has answered again for a while, not once per read or per flap', async () => {
    const productId = await createProduct(6);
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const record = (level: string) => (fields: Record<string, unknown>, msg: string) => lines.push({ level, msg, fields });
    const recording = { warn: record('warn'), info: record('info') } as unknown as Logger;
    const working = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger });
    let failure: Error | undefined;
    const flaky: ProductCache = { ...working, get: (id) => (failure ? Promise.reject(failure) : working.get(id)) };
    const clock = new TestClock();
    const reader = createProductReader({ db: database.db, productCache: flaky, logger: recording, clock });
    const readInTurns = async (turns: number) => {
      for (let turn = 0; turn < turns; turn += 1) {
        const reads = await Promise.all(Array.from({ length: 5 }, () => reader.get(productId)));
        expect(reads.every((read) => read.availableStock === 6)).toBe(true);
      }
    };
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

    // Two outages, as ioredis reports a refused connection. The first flaps: the cache answers
    // between its failures, each time for less than the settle time, so it stays one outage.
    for (let outage = 0; outage < 2; outage += 1) {
      failure = refused();
      await readInTurns(3);
      if (outage === 0) {
        for (let flap = 0; flap < 3; flap += 1) {
          failure = undefined;
          await readInTurns(1);
          clock.advanceSeconds((OUTAGE_SETTLE_MS - 1) / 1000);
          failure = refused();
          await readInTurns(1);
        }
      }
      failure = undefined;
      await readInTurns(1);
      clock.advanceSeconds(OUTAGE_SETTLE_MS / 1000);
      await readInTurns(1);
    }
    // Then a read that fails otherwise, each time.
    failure = new SyntaxError('Unexpected token in JSON');
    await readInTurns(1);

    const outageLines = [
      { level: 'warn', msg: 'product cache unreachable; reading MySQL' },
      { level: 'info', msg: 'product cache answering again' },
    ];
    expect(lines.map(({ level, msg }) => ({ level, msg }))).toEqual([
      ...outageLines,
      ...outageLines,
      ...Array.from({ length: 5 }, () => ({ level: 'warn', msg: 'product cache read failed; reading MySQL' })),
    ]);
    // The end of an outage says how many reads went to MySQL during it (the flaps' included),
    // and how long it failed: from the first failed read to the last.
    expect(lines[1]!.fields.readsFromMysql).toBe(15 + 3 * 5);
    expect(lines[1]!.fields.downForMs).toBeGreaterThanOrEqual(3 * (OUTAGE_SETTLE_MS - 1));
    expect(lines[3]!.fields.readsFromMysql).toBe(15);
  });

  it('share one MySQL read per product while Redis is unreachable', async () => {
    const productId = await createProduct(4);
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const { db, findUnique } = countingDb();
      const reader = createProductReader({ db, productCache: createProductCache(down, { keyPrefix: prefix, ttlSeconds: 60, logger }), logger, clock: systemClock });
      const reads = await Promise.all(Array.from({ length: 20 }, () => reader.get(productId)));
      expect(reads.every((read) => read.availableStock === 4)).toBe(true);
      expect(findUnique).toHaveBeenCalledTimes(1);
    } finally {
      down.disconnect();
    }
  });

  it('never join a MySQL read already sent: a read that starts after a commit gets its stock', async () => {
    const productId = await createProduct(10);
    const cache: ProductCache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger });
    const { db, findUnique } = countingDb();
    const realFindUnique = findUnique.getMockImplementation()!;
    let answered!: () => void;
    let openGate!: () => void;
    const readDone = new Promise<void>((resolve) => (answered = resolve));
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    // The first read's answer (10 left) is held back on its way until the gate opens.
    findUnique.mockImplementationOnce(async (args) => {
      const row = await realFindUnique(args);
      answered();
      await gate;
      return row;
    });
    const reader = createProductReader({ db, productCache: cache, logger, clock: systemClock });
    try {
      const early = reader.get(productId);
      await readDone;
      // Another process commits a hold of 3 (version 1) and its write-through fails, so it
      // drops the snapshot up to that version: reads miss and go to MySQL.
      const committed = await database.db.product.update({ where: { id: productId }, data: { availableStock: 7, stockVersion: { increment: 1 } } });
      await cache.forget(productId, committed.stockVersion);
      const late = reader.get(productId);
      const lateStock = late.then((read) => read.availableStock);
      // Only once the late read has sent its own: sharing `early`'s read (on its way) would never
      // send a second one.
      await vi.waitFor(() => expect(findUnique).toHaveBeenCalledTimes(2), { timeout: 2_000, interval: 5 });
      openGate();
      expect(await lateStock).toBe(7);
      expect((await early).availableStock).toBe(10);
      expect(findUnique).toHaveBeenCalledTimes(2);
    } finally {
      openGate();
    }
  });

  it('reject every reader that shared the read of an unknown product with product_not_found', async () => {
    const { db, findUnique } = countingDb();
    const reader = createProductReader({ db, productCache: createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger }), logger, clock: systemClock });
    const reads = await Promise.allSettled([reader.get(999_999), reader.get(999_999)]);
    expect(reads.map((read) => read.status === 'rejected' && (read.reason as { code?: string }).code)).toEqual(['product_not_found', 'product_not_found']);
    expect(findUnique).toHaveBeenCalledTimes(1);
  });
});

describe('refresh', () => {
  it('writes the product through from MySQL, over an older snapshot', async () => {
    const productId = await createProduct(10);
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger });
    const reader = createProductReader({ db: database.db, productCache: cache, logger, clock: systemClock });
    expect((await reader.get(productId)).availableStock).toBe(10);
    // A change whose write-through never happened (its process died after the commit).
    await database.db.product.update({ where: { id: productId }, data: { availableStock: 7, stockVersion: { increment: 1 } } });
    expect((await reader.get(productId)).availableStock).toBe(10);

    await reader.refresh(productId);
    expect((await reader.get(productId)).availableStock).toBe(7);
  });

  it('drops the snapshot, one version up, when MySQL cannot be read, and never throws', async () => {
    const productId = await createProduct(10);
    const cache = createProductCache(redis, { keyPrefix: prefix, ttlSeconds: 60, logger });
    await createProductReader({ db: database.db, productCache: cache, logger, clock: systemClock }).get(productId);
    const cached = (await cache.get(productId))!;
    const unreadable = { product: { findUnique: async () => Promise.reject(new Error('connection lost')) } } as unknown as Db;

    await createProductReader({ db: unreadable, productCache: cache, logger, clock: systemClock }).refresh(productId);

    expect(await cache.get(productId)).toBeUndefined();
    // The snapshot it had is refused now: it may lack the change the refresh was for.
    await cache.writeThrough(cached);
    expect(await cache.get(productId)).toBeUndefined();
    await cache.writeThrough({ ...cached, stockVersion: cached.stockVersion + 1 });
    expect((await cache.get(productId))?.stockVersion).toBe(cached.stockVersion + 1);
  });
});
