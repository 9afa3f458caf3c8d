import { createHold, createSweepState, sweep, type SweepState } from '@flash-sale/checkout';
import { holdRowLock, startTestStores, type TestStores } from '@flash-sale/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerExact } from './support/ledger.ts';

// A product row that a stuck client keeps locked (an api host cut off mid-batch: MySQL keeps its
// transaction, and its locks, until wait_timeout) must not stop the sweeper for every other
// product. Each product's rows change in transactions of their own: the stuck one's waits out
// its lock waits (4 × innodb_lock_wait_timeout, 5 s), holding no other product meanwhile; then
// it is left alone for 30 s, and tried once, last, after each cool-off.

// The stores, and the domain on them, as a worker composes it.
let t: TestStores;
beforeAll(async () => (t = await startTestStores()));
afterAll(() => t?.close());

const statusOf = async (hold: { id: number }) => (await t.db.hold.findUniqueOrThrow({ where: { id: hold.id } })).status;

/** A new hold of `productId`, due now by the domain's clock (the clock does not move). */
async function dueHold(productId: number) {
  const hold = await createHold(await t.domain(), { productId, qty: 1 });
  await t.db.hold.update({ where: { id: hold.id }, data: { expiresAt: new Date(t.clock.now().getTime() - 1_000) } });
  return hold;
}

/** A run of the sweeper, and how long it took. */
async function timedSweep(state: SweepState) {
  const started = Date.now();
  const report = await sweep(await t.domain(), { batchSize: 500, maxBatches: 10, graceMs: 0 }, state);
  return { report, seconds: (Date.now() - started) / 1000 };
}

describe('a product row locked by a stuck client', () => {
  it("costs the sweeper its lock waits once, then one wait each 30 s, and every other product's holds expire meanwhile", async () => {
    const [stuck, other] = [await t.createProduct(), await t.createProduct()];
    // The stuck product's hold is the oldest: first in the batch.
    const stuckHold = await dueHold(stuck);
    const state = createSweepState();
    const lock = await holdRowLock(t.db, 'products', stuck);
    try {
      const firstHold = await dueHold(other);
      const first = await timedSweep(state);
      expect(await statusOf(firstHold)).toBe('expired');
      expect(first.report).toMatchObject({ holdsExpired: 1, productsFailed: 1, stepsFailed: 0 });
      // Its four lock waits: no longer a run that fails whole, every run.
      expect(first.seconds).toBeGreaterThan(15);
      expect(first.seconds).toBeLessThan(40);
      expect(state.failingProducts.has(stuck)).toBe(true);

      // Within the cool-off it is left alone: no lock wait.
      const secondHold = await dueHold(other);
      const second = await timedSweep(state);
      expect(await statusOf(secondHold)).toBe('expired');
      expect(second.report).toMatchObject({ holdsExpired: 1, productsFailed: 1 });
      expect(second.seconds).toBeLessThan(4);

      // After it, one attempt, last: one lock wait.
      t.clock.advanceSeconds(31);
      const thirdHold = await dueHold(other);
      const third = await timedSweep(state);
      expect(await statusOf(thirdHold)).toBe('expired');
      expect(third.report).toMatchObject({ holdsExpired: 1, productsFailed: 1 });
      expect(third.seconds).toBeGreaterThan(4);
      expect(third.seconds).toBeLessThan(10);
      expect(await statusOf(stuckHold)).toBe('active');
    } finally {
      await lock.release();
    }

    // The lock has come free: once the cool-off is over, the stuck product's hold expires and
    // the sweeper forgets it.
    t.clock.advanceSeconds(31);
    const fourth = await timedSweep(state);
    expect(fourth.report).toMatchObject({ holdsExpired: 1, productsFailed: 0 });
    expect(await statusOf(stuckHold)).toBe('expired');
    expect(state.failingProducts.size).toBe(0);
    await expectLedgerExact({ db: t.db, redisClient: t.redis, prefix: t.config.redisKeyPrefix });
  });
});
