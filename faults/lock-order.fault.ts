import {
  applyPaymentEvent,
  cancelDueOrders,
  cancelUnpaidOrder,
  createCheckoutDeps,
  createHold,
  expireDueHolds,
  expireHold,
  paymentEventHash,
  releaseHold,
  reserveHoldIds,
  type CheckoutDeps,
} from '@flash-sale/checkout';
import { loadConfig } from '@flash-sale/config';
import { createLogger } from '@flash-sale/logger';
import { openStores, type Stores } from '@flash-sale/process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerExact } from './support/ledger.ts';
import { startFaultStack, type FaultStack } from './support/stack.ts';

// One lock order, really: every path that locks a hold or an order and their product (the
// expiry job, the sweeper, a release, a new hold, the payment timeout, a payment result) raced
// against each other on the same due rows, many times over, and InnoDB records no deadlock.
// InnoDB's counter is server-wide: the fault suite runs its files one at a time, so nothing else
// of ours runs meanwhile.

let stack: FaultStack;
let stores: Stores;
let deps: CheckoutDeps;
beforeAll(async () => {
  stack = await startFaultStack();
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: stack.databaseUrl, REDIS_URL: stack.redis.url, REDIS_KEY_PREFIX: stack.prefix });
  const logger = createLogger('lock-order', 'silent');
  stores = openStores(config, logger, 'lock-order');
  deps = createCheckoutDeps(stores, { settings: config, logger });
  await stores.waitForStores();
});
afterAll(async () => {
  await stores?.close();
  await stack?.close();
});

async function deadlocksSoFar(): Promise<number> {
  const rows = await stack.db.$queryRaw<{ count: bigint | number }[]>`
    SELECT \`COUNT\` AS count FROM information_schema.INNODB_METRICS WHERE NAME = 'lock_deadlocks'`;
  return Number(rows[0]?.count ?? 0);
}

/** Due holds (expired a minute ago, stock taken) and due pending orders, some with a result received in time. */
async function dueRows(productIds: number[], perProduct: number) {
  const past = new Date(Date.now() - 60_000);
  const holdIds: number[] = [];
  const orderIds: number[] = [];
  const eventIds: number[] = [];
  const ids = await reserveHoldIds(stack.db, productIds.length * perProduct * 2);
  let nextId = ids.first;
  for (const productId of productIds) {
    for (let index = 0; index < perProduct; index += 1) {
      const hold = await stack.db.hold.create({ data: { id: nextId++, productId, qty: 1, status: 'active', expiresAt: past }, select: { id: true } });
      holdIds.push(hold.id);
      const used = await stack.db.hold.create({ data: { id: nextId++, productId, qty: 1, status: 'used', expiresAt: past }, select: { id: true } });
      const order = await stack.db.order.create({
        data: { holdId: used.id, productId, qty: 1, amount: '10.00', status: 'pending', paymentDueAt: past },
        select: { id: true },
      });
      orderIds.push(order.id);
      if (index % 2 === 0) {
        const result = index % 4 === 0 ? 'success' : 'failure';
        const event = await stack.db.paymentEvent.create({
          data: {
            idempotencyKey: `evt_lock_${order.id}`,
            orderId: order.id,
            result,
            bodyHash: paymentEventHash({ orderId: order.id, result }),
            payload: '{}',
            receivedAt: new Date(past.getTime() - 1_000),
          },
          select: { id: true },
        });
        eventIds.push(event.id);
      }
    }
    await stack.db.product.update({ where: { id: productId }, data: { availableStock: { decrement: perProduct * 2 } } });
  }
  return { holdIds, orderIds, eventIds };
}

describe('the lock order', () => {
  it('lets the sweeper, the jobs, releases, new holds and payment results race on the same rows without one deadlock', async () => {
    const sweepOptions = { batchSize: 500, maxBatches: 2, graceMs: 0 };
    const before = await deadlocksSoFar();
    for (let round = 0; round < 12; round += 1) {
      const productIds = [await stack.createProduct(1_000), await stack.createProduct(1_000)];
      const { holdIds, orderIds, eventIds } = await dueRows(productIds, 12);
      await Promise.all([
        ...holdIds.map((id) => expireHold(deps, id)),
        ...holdIds.filter((_, index) => index % 3 === 0).map((id) => releaseHold(deps, id)),
        ...orderIds.map((id) => cancelUnpaidOrder(deps, id)),
        ...eventIds.map((id) => applyPaymentEvent(deps, id)),
        ...productIds.flatMap((productId) => [1, 2, 3, 4].map(() => createHold(deps, { productId, qty: 1 }))),
        expireDueHolds(deps, sweepOptions),
        expireDueHolds(deps, sweepOptions),
        cancelDueOrders(deps, sweepOptions),
        cancelDueOrders(deps, sweepOptions),
      ]);
      // Every due row was handled exactly once.
      expect(await stack.db.hold.count({ where: { id: { in: holdIds }, status: 'active' } })).toBe(0);
      expect(await stack.db.order.count({ where: { id: { in: orderIds }, status: 'pending' } })).toBe(0);
      expect(await stack.db.paymentEvent.count({ where: { id: { in: eventIds }, outcome: { not: 'applied' } } })).toBe(0);
      await expectLedgerExact(stack);
    }
    expect((await deadlocksSoFar()) - before).toBe(0);
  });
});
