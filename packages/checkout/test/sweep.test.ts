import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lockContention, mysqlUnavailable } from '@flash-sale/db';
import { rejectionOf, startTestStores, type TestStores } from '@flash-sale/testing';
import { FailingProducts, productByProduct } from '../src/batching/product-by-product.ts';
import {
  createHold,
  createHoldExpiryBatcher,
  createOrder,
  createSweepState,
  paymentEventHash,
  redriveStalePaymentEvents,
  sweep,
  type CheckoutDeps,
} from '../src/index.ts';

// The sweeper is the safety net when Redis has lost the jobs: one product whose rows cannot
// change must not keep every other product's holds and orders from ending (nor, in the expiry
// jobs, the other jobs of its batch), nor one step the others, nor a crowd of waiting payment
// events a lost one.

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
const orderStatus = async (id: number) => (await t.db.order.findUniqueOrThrow({ where: { id } })).status;
const available = async (id: number) => (await t.db.product.findUniqueOrThrow({ where: { id } })).availableStock;

/**
 * A product none of whose stock can come back: total_stock lowered by hand to what is available
 * (units written off while holds were out), so any return breaks the CHECK
 * (available_stock <= total_stock). The audit describes this state; only a person can mend it.
 */
async function writeOffHeldUnits(productId: number): Promise<void> {
  await t.db.$executeRaw`UPDATE products SET total_stock = available_stock WHERE id = ${productId}`;
}

/** Makes a hold due now, by the domain's clock, without moving the clock. */
async function makeDue(holdId: number): Promise<void> {
  await t.db.hold.update({ where: { id: holdId }, data: { expiresAt: new Date(t.clock.now().getTime() - 1_000) } });
}

describe('a product whose rows cannot change fails alone', () => {
  const sweeperFailures = () => t.logs.filter((line) => String(line.msg).startsWith('the sweeper could not')).map((line) => [line.productId, line.msg]);

  it("the sweeper still expires every other product's due holds and times out their orders, and leaves the failing ones alone for a while", async () => {
    const [stuckHolds, stuckOrders, other, ordered] = [await t.createProduct(), await t.createProduct(), await t.createProduct(), await t.createProduct()];
    // The stuck products' rows are the oldest: the first of every batch the sweeper reads.
    const stuckHold = await createHold(deps, { productId: stuckHolds, qty: 3 });
    const stuckOrder = await createOrder(deps, (await createHold(deps, { productId: stuckOrders, qty: 1 })).id);
    const otherHold = await createHold(deps, { productId: other, qty: 3 });
    const otherOrder = await createOrder(deps, (await createHold(deps, { productId: ordered, qty: 2 })).id);
    await writeOffHeldUnits(stuckHolds);
    await writeOffHeldUnits(stuckOrders);
    // Past every hold's expiry and every order's payment deadline.
    t.clock.advanceSeconds(deps.settings.orderPaymentTimeoutSeconds + 60);
    const state = createSweepState();

    const report = await sweep(deps, options, state);

    expect(await holdStatus(otherHold.id)).toBe('expired');
    expect(await orderStatus(otherOrder.id)).toBe('cancelled');
    expect([await available(other), await available(ordered)]).toEqual([10, 10]);
    expect(await holdStatus(stuckHold.id)).toBe('active');
    expect(await orderStatus(stuckOrder.id)).toBe('pending');
    expect(report).toMatchObject({ holdsExpired: 1, ordersCancelled: 1, productsFailed: 2, stepsFailed: 0 });
    const bothFailed = [
      [stuckHolds, "the sweeper could not expire this product's due holds; it tries again in a while"],
      [stuckOrders, "the sweeper could not time out this product's due orders; it tries again in a while"],
    ];
    expect(sweeperFailures()).toEqual(bothFailed);

    // The next run, at once: the failing products are left alone, the others' rows still change.
    const laterHold = await createHold(deps, { productId: other, qty: 2 });
    await makeDue(laterHold.id);
    expect(await sweep(deps, options, state)).toMatchObject({ holdsExpired: 1, productsFailed: 2 });
    expect(await holdStatus(laterHold.id)).toBe('expired');
    expect(sweeperFailures()).toEqual(bothFailed);

    // After the cool-off they are tried again.
    t.clock.advanceSeconds(31);
    expect(await sweep(deps, options, state)).toMatchObject({ holdsExpired: 0, productsFailed: 2 });
    expect(sweeperFailures()).toEqual([...bothFailed, ...bothFailed]);
  });

  it('an expiry job fails only when its own product fails: the jobs of other products in its batch expire their holds', async () => {
    const [stuck, other, notDue] = [await t.createProduct(), await t.createProduct(), await t.createProduct()];
    const batcher = createHoldExpiryBatcher(deps);
    const stuckHold = await createHold(deps, { productId: stuck, qty: 3 });
    await writeOffHeldUnits(stuck);
    const otherHold = await createHold(deps, { productId: other, qty: 1 });
    t.clock.advanceSeconds(deps.settings.holdTtlSeconds + 60);
    // Two holds not due yet: their jobs' batches take the expiry line's two places in a
    // transaction, so the two due jobs behind them wait, and then run in one batch together.
    const early = [await createHold(deps, { productId: notDue, qty: 1 }), await createHold(deps, { productId: notDue, qty: 1 })];

    const results = await Promise.allSettled([...early, stuckHold, otherHold].map((hold) => batcher.expire(hold.id)));

    expect(results.map((result) => (result.status === 'fulfilled' ? result.value.outcome : 'failed'))).toEqual(['not_due', 'not_due', 'failed', 'expired']);
    expect(await holdStatus(otherHold.id)).toBe('expired');
    expect(await holdStatus(stuckHold.id)).toBe('active');
  });
});

describe('the steps of a run stand apart', () => {
  it('purges idempotency keys even when the re-drive of payment events fails for want of Redis', async () => {
    const redisDown = await startTestStores({ REDIS_URL: 'redis://127.0.0.1:9' });
    try {
      const depsWithoutRedis = await redisDown.domain();
      await redisDown.db.paymentEvent.create({
        data: { idempotencyKey: 'evt_redis_down', orderId: 1, result: 'success', bodyHash: 'a'.repeat(64), payload: '{}', receivedAt: new Date(Date.now() - 60_000) },
      });
      const longAgo = new Date(Date.now() - 1_000);
      await redisDown.db.idempotencyKey.create({
        data: { scope: 'POST /api/holds', key: 'expired', requestHash: 'a'.repeat(64), status: 'completed', lockToken: '00000000-0000-4000-8000-000000000000', lockedUntil: longAgo, responseStatus: 201, responseBody: '{}', expiresAt: longAgo },
      });

      const report = await sweep(depsWithoutRedis, options);

      expect(report).toMatchObject({ paymentEventsRedriven: 0, idempotencyKeysPurged: 1, stepsFailed: 1 });
      expect(await redisDown.db.idempotencyKey.count()).toBe(0);
      expect(redisDown.logs.filter((line) => line.msg === 'sweep step failed; the next run tries again').map((line) => line.step)).toEqual(['re-drive payment events']);
    } finally {
      await redisDown.close();
    }
  });
});

describe('productByProduct', () => {
  const items = [
    { productId: 1, id: 10 },
    { productId: 2, id: 20 },
    { productId: 1, id: 11 },
  ];

  it('runs each product on its own, and leaves one that failed alone for 30 s, then starts it last, with one attempt, until it succeeds', async () => {
    const failing = new FailingProducts();
    let lockComesFree = false;
    const runs: { ids: number[]; failedBefore: boolean }[] = [];
    const contention = lockContention(new Error('Lock wait timeout exceeded'));
    const work = async (group: typeof items, attempt: { failedBefore: boolean }) => {
      runs.push({ ids: group.map((item) => item.id), ...attempt });
      if (!lockComesFree && group[0]!.productId === 1) throw contention;
      return group.length;
    };

    expect(await productByProduct(deps, items, failing, work)).toEqual({ done: [1], failed: [{ productId: 1, error: contention, coolingOff: false }] });
    expect(runs.splice(0)).toEqual([
      { ids: [10, 11], failedBefore: false },
      { ids: [20], failedBefore: false },
    ]);

    t.clock.advanceSeconds(29);
    expect(await productByProduct(deps, items, failing, work)).toEqual({ done: [1], failed: [{ productId: 1, error: contention, coolingOff: true }] });
    expect(runs.splice(0)).toEqual([{ ids: [20], failedBefore: false }]);

    t.clock.advanceSeconds(2);
    lockComesFree = true;
    expect(await productByProduct(deps, items, failing, work)).toEqual({ done: [1, 2], failed: [] });
    expect(runs.splice(0)).toEqual([
      { ids: [20], failedBefore: false },
      { ids: [10, 11], failedBefore: true },
    ]);
    expect(failing.size).toBe(0);
  });

  it('lets one batch at a time try a product that failed: a batch planned meanwhile leaves it alone', async () => {
    const failing = new FailingProducts();
    const contention = lockContention(new Error('Lock wait timeout exceeded'));
    failing.failed(1, contention, t.clock.now());
    t.clock.advanceSeconds(31);
    // More products than places: the one that failed waits in the queue behind the others.
    const sixProducts = Array.from({ length: 6 }, (_, index) => ({ productId: index + 1, id: index + 1 }));
    let lockComesFree!: () => void;
    const lockFree = new Promise<void>((resolve) => (lockComesFree = resolve));
    const tries: number[] = [];
    const work = async (group: typeof sixProducts) => {
      tries.push(group[0]!.productId);
      if (group[0]!.productId === 1) await lockFree;
      return group[0]!.productId;
    };

    const first = productByProduct(deps, sixProducts, failing, work);
    const second = await productByProduct(deps, sixProducts, failing, work);
    expect(second.failed).toEqual([{ productId: 1, error: contention, coolingOff: true }]);
    expect(second.done.sort()).toEqual([2, 3, 4, 5, 6]);
    lockComesFree();
    expect((await first).failed).toEqual([]);
    expect(tries.filter((productId) => productId === 1)).toEqual([1]);
    expect(failing.size).toBe(0);
  });

  it("calls committed once every product's transaction has ended, and resolves once their reports are done", async () => {
    const events: string[] = [];
    const reportsEnd: (() => void)[] = [];
    // Product 1's transaction ends only after product 2's has.
    let secondCommitted!: () => void;
    const afterSecond = new Promise<void>((resolve) => (secondCommitted = resolve));
    const outcome = productByProduct(
      deps,
      items,
      new FailingProducts(),
      async (group, _attempt, reporting) => {
        if (group[0]!.productId === 1) await afterSecond;
        events.push(`committed ${group[0]!.productId}`);
        if (group[0]!.productId === 2) secondCommitted();
        reporting(new Promise<void>((resolve) => reportsEnd.push(resolve)).then(() => void events.push(`reported ${group[0]!.productId}`)));
        return group[0]!.productId;
      },
      { committed: () => events.push('all committed') },
    ).then((result) => (events.push('resolved'), result));
    await vi.waitFor(() => expect(events).toEqual(['committed 2', 'committed 1', 'all committed']));
    reportsEnd.forEach((end) => end());
    expect((await outcome).done).toEqual([2, 1]);
    expect(events).toEqual(['committed 2', 'committed 1', 'all committed', 'reported 2', 'reported 1', 'resolved']);
  });

  it('starts no more products once MySQL is away, and throws its error', async () => {
    const away = mysqlUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { name: 'PrismaClientInitializationError' }));
    const manyProducts = Array.from({ length: 10 }, (_, index) => ({ productId: index + 1, id: index + 1 }));
    let runs = 0;
    const error = await rejectionOf(
      productByProduct(deps, manyProducts, new FailingProducts(), async () => {
        runs += 1;
        throw away;
      }),
    );
    expect(error).toBe(away);
    // Only those already under way: one per place (four), not ten.
    expect(runs).toBe(4);
  });
});

describe('the re-drive of payment events', () => {
  it('goes on from where the last run stopped, so events waiting out their backoff cannot hide a lost one behind them', async () => {
    const storeStaleEvent = (orderId: number) =>
      t.db.paymentEvent.create({
        data: {
          idempotencyKey: `evt_sweep_${orderId}`,
          orderId,
          result: 'success',
          bodyHash: paymentEventHash({ orderId, result: 'success' }),
          payload: JSON.stringify({ order_id: orderId, status: 'success' }),
          receivedAt: new Date(Date.now() - 60_000),
        },
      });
    // Two events waiting out their backoff (a live delayed job each), then one whose job was lost.
    const queue = t.queue('payment-webhook');
    for (const orderId of [1_900_001, 1_900_002]) {
      const event = await storeStaleEvent(orderId);
      await queue.add('apply-payment-event', { paymentEventId: event.id }, { jobId: `payment-event-${event.id}`, delay: 3_600_000 });
    }
    const lost = await storeStaleEvent(1_900_003);
    // One page of two per run: the waiting pair fills the first run.
    const pageOfTwo = { batchSize: 2, maxBatches: 1, graceMs: 0 };
    const state = createSweepState();

    expect(await redriveStalePaymentEvents(deps, pageOfTwo, state)).toBe(0);
    expect(await redriveStalePaymentEvents(deps, pageOfTwo, state)).toBe(1);
    expect(await queue.getJob(`payment-event-${lost.id}`)).toBeDefined();
    // It read the last event: the next run starts over from the first.
    expect(state.paymentEventsAfterId).toBe(0);
  });
});
