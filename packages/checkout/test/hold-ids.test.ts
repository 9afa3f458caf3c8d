import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '@flash-sale/db';
import { createTestDatabase, CuttableProxy, rejectionOf, type TestDatabase } from '@flash-sale/testing';
import { createLogger } from '@flash-sale/logger';
import { createHoldIdAllocator, reserveHoldIds } from '../src/index.ts';

const logger = createLogger('hold-ids-test', 'silent');
let database: TestDatabase;
const extraDbs: Db[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const db of extraDbs) await db.$disconnect();
  await database?.drop();
});

/** A second client on the same database: another process, as far as MySQL can tell. */
function anotherProcess(url = database.url): Db {
  const db = createDb(url);
  extraDbs.push(db);
  return db;
}

async function nextIdInMySql(): Promise<number> {
  return (await database.db.idSequence.findUniqueOrThrow({ where: { name: 'holds' } })).nextId;
}

describe('hold ids handed out in blocks (hold-ids.ts)', () => {
  it('reserves consecutive blocks, each committed for its caller alone, even when reserved at once', async () => {
    const before = await nextIdInMySql();
    const other = anotherProcess();
    const blocks = await Promise.all(Array.from({ length: 20 }, (_, index) => reserveHoldIds(index % 2 ? other : database.db, 7)));
    const starts = blocks.map((block) => block.first).sort((a, b) => a - b);
    expect(starts).toEqual(Array.from({ length: 20 }, (_, index) => before + 7 * index));
    expect(blocks.every((block) => block.count === 7)).toBe(true);
    expect(await nextIdInMySql()).toBe(before + 140);
  });

  it('gives every id once across two processes taking at once, each from its own blocks, reserving only as it runs short', async () => {
    const before = await nextIdInMySql();
    const first = createHoldIdAllocator(database.db, { logger, blockSize: 50 });
    const second = createHoldIdAllocator(anotherProcess(), { logger, blockSize: 50 });
    // Batches of 1 to 30 ids, all asked for at once, from both: blocks run out mid-way and
    // several batches wait for the same reservation.
    const counts = Array.from({ length: 60 }, (_, index) => 1 + ((index * 7) % 30));
    const taken = await Promise.all(counts.map((count, index) => (index % 2 ? second : first).take(count)));
    expect(taken.map((ids) => ids.length)).toEqual(counts);
    const all = taken.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(Math.min(...all)).toBeGreaterThanOrEqual(before);
    // Everything handed out was reserved in MySQL first, and not much more than that was.
    const after = await nextIdInMySql();
    expect(Math.max(...all)).toBeLessThan(after);
    expect(after - before).toBeLessThanOrEqual(all.length + 2 * 50 * 2);
  });

  it('reserves the next block while half of this one is left, so a batch seldom waits inside its transaction', async () => {
    // A database of its own: the allocators of the tests above may still be reserving ahead.
    const own = await createTestDatabase();
    try {
      const nextId = async () => (await own.db.idSequence.findUniqueOrThrow({ where: { name: 'holds' } })).nextId;
      const allocator = createHoldIdAllocator(own.db, { logger, blockSize: 100 });
      expect(await allocator.take(60)).toEqual(Array.from({ length: 60 }, (_, index) => 1 + index));
      // 40 left of the first block: the next one is reserved behind it.
      await expect.poll(nextId, { timeout: 5_000 }).toBe(201);
      // The next 130 come out of those two blocks; the 10 left then start the third.
      const ids = [...(await allocator.take(40)), ...(await allocator.take(90))];
      expect(ids).toEqual(Array.from({ length: 130 }, (_, index) => 61 + index));
      await expect.poll(nextId, { timeout: 5_000 }).toBe(301);
    } finally {
      await own.drop();
    }
  });

  it('does not hold a batch up for a reservation while ids are at hand, even one that fails: MySQL down, ids still handed out', async () => {
    const { proxy, url } = await CuttableProxy.inFrontOf(database.url);
    try {
      const db = anotherProcess(url);
      const allocator = createHoldIdAllocator(db, { logger, blockSize: 10 });
      await allocator.take(1);
      // 9 left: nothing reserved ahead yet. Taking 5 leaves 4, and the reservation ahead starts
      // on a MySQL that is gone.
      await proxy.down();
      const started = performance.now();
      const ids = await allocator.take(5);
      await allocator.ready();
      const rest = await allocator.take(4);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect([...ids, ...rest]).toHaveLength(9);
      // Nothing at hand now: a batch waits for a block, and gets the 503 while MySQL is gone.
      expect(await rejectionOf(allocator.ready())).toMatchObject({ status: 503, code: 'service_unavailable' });
    } finally {
      await proxy.down();
    }
  });

  it('refuses with a 503 while MySQL is unreachable, and hands out ids again once it is back', async () => {
    const { proxy, url } = await CuttableProxy.inFrontOf(database.url);
    try {
      const allocator = createHoldIdAllocator(anotherProcess(url), { logger, blockSize: 10 });
      await proxy.down();
      expect(await rejectionOf(allocator.take(3))).toMatchObject({ status: 503, code: 'service_unavailable' });
      await proxy.up();
      await expect.poll(() => allocator.take(3).then((ids) => ids.length, () => 0), { timeout: 15_000, interval: 250 }).toBe(3);
    } finally {
      await proxy.down();
    }
  });
});
