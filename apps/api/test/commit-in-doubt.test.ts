import { createHoldsTogether, createOrder, expireHold, receivePaymentEvent, releaseHold, type CheckoutDeps } from '@flash-sale/checkout';
import { createDb } from '@flash-sale/db';
import { CuttableProxy } from '@flash-sale/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// MySQL goes away just as a transaction's COMMIT leaves (packages/checkout/src/checkout-transaction.ts):
// the caller gets 503, and the commit may land afterwards (a partition that heals) or never (the
// connection is lost). Either way the cache must not show the stock from before it, and the jobs
// the commit needs must be there if it took effect.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const availableInMysql = async (productId: number) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock;
const readProduct = async (productId: number) => (await request(t.url, 'GET', `/api/products/${productId}`)).body.available_stock as number;

/**
 * Runs `change` on the domain through a MySQL that stops answering the moment the client sends
 * `stallOn` (a COM_QUERY packet's command byte, then the statement, for the driver's commit).
 * Returns the error code it failed with, and ends the stall as `ending` says.
 */
async function withMysqlStallingOn(
  stallOn: string,
  ending: 'deliver' | 'reset',
  change: (deps: CheckoutDeps) => Promise<unknown>,
  meanwhile: () => Promise<void> = async () => undefined,
): Promise<string | undefined> {
  const { proxy, url: viaProxy } = await CuttableProxy.inFrontOf(t.config.databaseUrl);
  const db = createDb(viaProxy, { noAnswerMs: 1_000 });
  try {
    await db.$queryRaw`SELECT 1`;
    void proxy.stallOn(stallOn);
    const failure = await change({ ...t.services.deps, db }).then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    expect(proxy.bytesSinceStall()).toBeGreaterThan(0);
    await meanwhile();
    proxy.endStall(ending);
    return failure;
  } finally {
    await db.$disconnect().catch(() => undefined);
    await proxy.down();
  }
}
const COMMIT = '\u0003COMMIT';

describe('a hold batch whose COMMIT goes unanswered', () => {
  const batchOf = (productId: number) => (deps: CheckoutDeps) =>
    createHoldsTogether(deps, productId, { take: () => [{ qty: 1 }, { qty: 2 }, { qty: 3 }], committed: () => undefined });
  const delayedExpiryJobs = async () => (await t.queue('hold-expiry').getJobs('delayed')).map((job) => job.data.holdId as number);

  it('that lands afterwards: reads show it, and every hold it made has its expiry job, due at its expires_at', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    expect(await readProduct(productId)).toBe(10); // cached, as a crowd's reads leave it
    // A read while the COMMIT is still held back misses and asks MySQL, which has not seen it
    // yet; what it reads must not fill the cache, or the cache would keep it after the commit.
    const readMeanwhile = async () => expect(await readProduct(productId)).toBe(10);
    expect(await withMysqlStallingOn(COMMIT, 'deliver', batchOf(productId), readMeanwhile)).toBe('service_unavailable');

    await vi.waitFor(async () => expect(await t.db.hold.count({ where: { productId } })).toBe(3), { timeout: 5_000, interval: 50 });
    expect(await availableInMysql(productId)).toBe(4);
    // The snapshot from before the batch was dropped, so reads show what MySQL holds.
    expect(await readProduct(productId)).toBe(4);
    const holds = await t.db.hold.findMany({ where: { productId } });
    for (const hold of holds) {
      const job = await t.queue('hold-expiry').getJob(`hold-${hold.id}`);
      expect(job?.data).toEqual({ holdId: hold.id });
      // Due at the hold's expires_at, give or take the milliseconds between them.
      expect(Math.abs(job!.timestamp + job!.delay - hold.expiresAt.getTime())).toBeLessThan(1_000);
    }
    expect(t.logs.filter((line) => line.msg === 'COMMIT sent but not answered; it may have taken effect' && String(line.productIds) === String(productId))).toHaveLength(1);
  });

  it('that never lands: nothing in MySQL, reads show so, and the jobs added in case it did find no hold', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    expect(await readProduct(productId)).toBe(10);
    const jobsBefore = new Set(await delayedExpiryJobs());
    expect(await withMysqlStallingOn(COMMIT, 'reset', batchOf(productId))).toBe('service_unavailable');

    expect(await t.db.hold.count({ where: { productId } })).toBe(0);
    expect(await availableInMysql(productId)).toBe(10);
    expect(await readProduct(productId)).toBe(10);
    // The product's next change takes the version the lost commit would have had, and fills the cache.
    const next = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
    expect(next.status).toBe(201);
    const newest = next.body.hold_id as number;
    const cached = await t.redis.hget(`${t.config.redisKeyPrefix}:product:${productId}`, 'd');
    expect(cached && JSON.parse(cached).availableStock).toBe(9);
    const added = (await delayedExpiryJobs()).filter((holdId) => !jobsBefore.has(holdId) && holdId < newest);
    expect(added).toHaveLength(3);
    for (const holdId of added) expect(await expireHold(t.services.deps, holdId)).toEqual({ outcome: 'not_found' });
    expect(await availableInMysql(productId)).toBe(9);
  });
});

describe('a release whose COMMIT goes unanswered and lands afterwards', () => {
  it('drops the cached snapshot, so reads show the stock it gave back', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    expect(await readProduct(productId)).toBe(3);
    const readMeanwhile = async () => expect(await readProduct(productId)).toBe(3);
    expect(await withMysqlStallingOn(COMMIT, 'deliver', (deps) => releaseHold(deps, hold.body.hold_id), readMeanwhile)).toBe('service_unavailable');

    await vi.waitFor(async () => expect(await availableInMysql(productId)).toBe(5), { timeout: 5_000, interval: 50 });
    expect((await t.db.hold.findUniqueOrThrow({ where: { id: hold.body.hold_id } })).status).toBe('released');
    expect(await readProduct(productId)).toBe(5);
  });

  it('but one that fails before its COMMIT changed nothing, and leaves the cached snapshot to serve reads', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    expect(await readProduct(productId)).toBe(3);
    // MySQL stops answering as the release gives the stock back, before its COMMIT.
    expect(await withMysqlStallingOn('UPDATE products', 'reset', (deps) => releaseHold(deps, hold.body.hold_id))).toBe('service_unavailable');

    expect(await availableInMysql(productId)).toBe(3);
    const cached = await t.redis.hget(`${t.config.redisKeyPrefix}:product:${productId}`, 'd');
    expect(cached && JSON.parse(cached).availableStock).toBe(3);
  });
});

describe('an order whose COMMIT goes unanswered and lands afterwards', () => {
  it('has its payment-timeout job', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
    expect(await withMysqlStallingOn(COMMIT, 'deliver', (deps) => createOrder(deps, hold.body.hold_id))).toBe('service_unavailable');

    const order = await vi.waitFor(async () => t.db.order.findUniqueOrThrow({ where: { holdId: hold.body.hold_id } }), { timeout: 5_000, interval: 50 });
    const job = await t.queue('order-timeout').getJob(`order-${order.id}`);
    expect(job?.data).toEqual({ orderId: order.id });
    expect(await job!.getState()).toBe('delayed');
  });
});

describe('a payment event whose INSERT goes unanswered and lands afterwards', () => {
  it('is handed to the worker when the provider sends it again', async () => {
    const input = { idempotencyKey: `evt_in_doubt_${Date.now()}`, orderId: 999_999, result: 'success' as const, rawBody: '{}' };
    // Stored in a transaction of its own (its INSERT must land within the payment timeout's
    // grace: receive-payment-event.ts), whose COMMIT's answer is lost: a 503.
    expect(await withMysqlStallingOn(COMMIT, 'deliver', (deps) => receivePaymentEvent(deps, input))).toBe('service_unavailable');
    const event = await vi.waitFor(async () => t.db.paymentEvent.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } }), { timeout: 5_000, interval: 50 });
    // The first delivery was answered with an error, so nothing handed it to the worker.
    expect(await t.queue('payment-webhook').getJob(`payment-event-${event.id}`)).toBeUndefined();

    expect(await receivePaymentEvent(t.services.deps, input)).toEqual({ eventId: event.id, duplicate: true });
    expect((await t.queue('payment-webhook').getJob(`payment-event-${event.id}`))?.data).toEqual({ paymentEventId: event.id });
  });
});
