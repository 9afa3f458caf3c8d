import { createHold, createSweepState, sweep, type CheckoutDeps } from '@flash-sale/checkout';
import { holdRowLock, startTestStores, type TestStores } from '@flash-sale/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A product row that a stuck client keeps locked (an api host cut off mid-batch: MySQL keeps its
// transaction, and its locks, until wait_timeout) must not stop the sweeper for every other
// product. The first run finds out which product it is (the transaction across products waits
// out its lock waits, 4 × innodb_lock_wait_timeout of 5 s, then each product goes alone); later
// runs try that product alone, once, after the others.

let t: TestStores;
let deps: CheckoutDeps;
beforeAll(async () => {
  t = await startTestStores();
  deps = await t.domain();
});
afterAll(async () => {
  await t?.close();
});

const options = { batchSize: 500, maxBatches: 10, graceMs: 0 };
const holdStatus = async (id: number) => (await t.db.hold.findUniqueOrThrow({ where: { id } })).status;

/** A run of the sweeper, and how long it took. */
async function timedSweep(state: ReturnType<typeof createSweepState>) {
  const started = Date.now();
  const report = await sweep(deps, options, state);
  return { report, seconds: (Date.now() - started) / 1000 };
}

describe('a product row locked by a stuck client', () => {
  it("costs the sweeper its lock waits once, then one wait a run, and every other product's holds expire meanwhile", async () => {
    const [stuck, other] = [await t.createProduct(), await t.createProduct()];
    const stuckHold = await createHold(deps, { productId: stuck, qty: 1 });
    const firstHold = await createHold(deps, { productId: other, qty: 1 });
    t.clock.advanceSeconds(deps.settings.holdTtlSeconds + 60);
    const state = createSweepState();
    const lock = await holdRowLock(t.db, 'products', stuck);
    try {
      const first = await timedSweep(state);
      expect(await holdStatus(firstHold.id)).toBe('expired');
      expect(first.report).toMatchObject({ holdsExpired: 1, productsFailed: 1, stepsFailed: 0 });
      // Four lock waits together, one alone: not the whole run stalled for good, as before.
      expect(first.seconds).toBeLessThan(40);
      expect([...state.failingProducts]).toEqual([stuck]);

      const secondHold = await createHold(deps, { productId: other, qty: 1 });
      t.clock.advanceSeconds(deps.settings.holdTtlSeconds + 60);
      const second = await timedSweep(state);
      expect(await holdStatus(secondHold.id)).toBe('expired');
      expect(second.report).toMatchObject({ holdsExpired: 1, productsFailed: 1 });
      // One lock wait (5 s), not four.
      expect(second.seconds).toBeLessThan(10);
      expect(await holdStatus(stuckHold.id)).toBe('active');
    } finally {
      await lock.release();
    }

    // The lock comes free: the next run expires the stuck product's hold and forgets it.
    const third = await timedSweep(state);
    expect(third.report).toMatchObject({ holdsExpired: 1, productsFailed: 0 });
    expect(await holdStatus(stuckHold.id)).toBe('expired');
    expect([...state.failingProducts]).toEqual([]);
  });
});
