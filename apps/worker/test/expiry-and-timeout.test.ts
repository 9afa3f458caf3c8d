import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backdateFinishedJob } from '@flash-sale/testing';
import { request, startApiStack, startWorker, type InProcessWorker, type ApiStack } from './support/stack.ts';

// Holds expire and unpaid orders are cancelled on time through their delayed jobs; the sweeper
// does the same for rows whose job is gone. Waits are on conditions, never fixed sleeps.

let t: ApiStack;
let worker: InProcessWorker;
beforeAll(async () => {
  // A long sweep interval: these tests must see the jobs do the work, unless they say otherwise.
  // 3 s deadlines: short, and still longer than a busy machine takes for the steps each test
  // must finish before the deadline (creating the holds and orders, the first reads).
  t = await startApiStack({ HOLD_TTL_SECONDS: '3', ORDER_PAYMENT_TIMEOUT_SECONDS: '3', SWEEP_INTERVAL_SECONDS: '3600' });
  worker = await startWorker(t.config);
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
});

const available = async (productId: number) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock;
const cachedAvailable = async (productId: number) => (await request(t.url, 'GET', `/api/products/${productId}`)).body.available_stock;

describe('hold expiry through the delayed job', () => {
  it('returns the stock of expired holds, in MySQL and in the cache, and the holds cannot be ordered', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const holds = await Promise.all([1, 2, 3].map((qty) => request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty } })));
    expect(await cachedAvailable(productId)).toBe(4);

    await vi.waitFor(async () => expect(await available(productId)).toBe(10), { timeout: 10_000, interval: 50 });
    // The worker writes through right after its commit, not with it: a read in between may still
    // see the batch before. Without the write-through the cache would lag until its 60 s TTL.
    await vi.waitFor(async () => expect(await cachedAvailable(productId)).toBe(10), { timeout: 2_000, interval: 20 });
    for (const hold of holds) {
      expect((await t.db.hold.findUniqueOrThrow({ where: { id: hold.body.hold_id } })).status).toBe('expired');
      const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
      expect(order.status).toBe(409);
      expect(order.body.error.code).toBe('hold_expired');
    }
    expect(worker.logs.filter((line) => line.msg === 'hold expired' && line.by === 'job')).toHaveLength(3);
    expect(await available(productId)).toBe(10);

    // The worker's own /metrics counts them, and it answers liveness there too.
    const metricsUrl = `http://127.0.0.1:${worker.runtime.metricsServer.port}`;
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^flash_sale_holds_ended_total\{status="expired",by="job",process="worker"\} 3$/m);
    expect(await (await fetch(`${metricsUrl}/health/live`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${metricsUrl}/nope`)).status).toBe(404);
  });

  it('leaves a used hold alone when its job runs', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
    expect(order.status).toBe(201);
    const job = await t.queue('hold-expiry').getJob(`hold-${hold.body.hold_id}`);
    await vi.waitFor(async () => expect(await job!.isCompleted()).toBe(true), { timeout: 10_000, interval: 50 });
    expect((await t.db.hold.findUniqueOrThrow({ where: { id: hold.body.hold_id } })).status).toBe('used');
  });
});

describe('order payment timeout through the delayed job', () => {
  it('cancels a pending order with payment_timeout and returns its stock once', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
    expect(await available(productId)).toBe(3);

    await vi.waitFor(
      async () => expect((await request(t.url, 'GET', `/api/orders/${order.body.order_id}`)).body.status).toBe('cancelled'),
      { timeout: 10_000, interval: 50 },
    );
    const read = await request(t.url, 'GET', `/api/orders/${order.body.order_id}`);
    expect(read.body.cancel_reason).toBe('payment_timeout');
    expect(await available(productId)).toBe(5);
    // The hold's own expiry job finds it used and changes nothing.
    const holdJob = await t.queue('hold-expiry').getJob(`hold-${hold.body.hold_id}`);
    await vi.waitFor(async () => expect(await holdJob!.isCompleted()).toBe(true), { timeout: 10_000, interval: 50 });
    expect(await available(productId)).toBe(5);
  });
});

describe('the sweeper alone', () => {
  it('expires due holds and cancels due orders whose jobs are gone, in one grouped pass', async () => {
    const productId = await t.createProduct({ totalStock: 20 });
    const otherProductId = await t.createProduct({ totalStock: 20 });
    // Stop the worker so no job runs, then delete the jobs as a Redis flush would.
    await worker.close();
    const holds = await Promise.all(
      [productId, productId, otherProductId].map((id) => request(t.url, 'POST', '/api/holds', { body: { product_id: id, qty: 2 } })),
    );
    const orderHold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 3 } });
    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: orderHold.body.hold_id } });
    for (const hold of [...holds, orderHold]) await t.queue('hold-expiry').remove(`hold-${hold.body.hold_id}`);
    await t.queue('order-timeout').remove(`order-${order.body.order_id}`);
    expect(await available(productId)).toBe(13);

    worker = await startWorker({ ...t.config, sweepIntervalSeconds: 1 });
    await vi.waitFor(
      async () => {
        expect(await available(productId)).toBe(20);
        expect(await available(otherProductId)).toBe(20);
      },
      { timeout: 15_000, interval: 100 },
    );
    expect((await t.db.order.findUniqueOrThrow({ where: { id: order.body.order_id } })).cancelReason).toBe('payment_timeout');
    const swept = worker.logs.filter((line) => line.by === 'sweeper');
    expect(swept.filter((line) => line.msg === 'hold expired').map((line) => line.holdId).sort()).toEqual(
      holds.map((hold) => hold.body.hold_id).sort(),
    );
    expect(swept.filter((line) => line.msg === 'order cancelled').map((line) => line.orderId)).toEqual([order.body.order_id]);
    // Written through right after the sweeper's commit (see the first test).
    await vi.waitFor(async () => expect(await cachedAvailable(productId)).toBe(20), { timeout: 2_000, interval: 20 });
  });
});

describe("finished jobs kept as the queue catalog says (the worker's retention)", () => {
  it('drops a completed job once it finished over an hour ago, and keeps a fresh one', async () => {
    const jobs = (await t.domain()).jobs;
    const queue = t.queue('hold-expiry');
    const completed = async (id: string) => vi.waitFor(async () => expect(await queue.getJobState(id)).toBe('completed'), { timeout: 10_000, interval: 50 });
    // Jobs for holds that do not exist, added as the api adds them: each runs at once, finds no
    // hold and completes.
    await jobs.enqueue('hold-expiry', { holdId: 990_001 });
    await completed('hold-990001');
    // It finished two hours ago, as far as BullMQ can tell.
    await backdateFinishedJob(t.redis, queue, 'completed', 'hold-990001', Date.now() - 2 * 3_600_000);

    // The next job the worker finishes applies the retention (completed jobs kept an hour).
    await jobs.enqueue('hold-expiry', { holdId: 990_002 });
    await completed('hold-990002');
    expect(await queue.getJob('hold-990001')).toBeUndefined();
    expect(await queue.getJobState('hold-990002')).toBe('completed');
  });

  it('drops a failed job once it failed over a week ago, and keeps a fresh one', async () => {
    const queue = t.queue('hold-expiry');
    const failed = async (id: string) => vi.waitFor(async () => expect(await queue.getJobState(id)).toBe('failed'), { timeout: 10_000, interval: 50 });
    // A payload the catalog refuses fails for good at once (no retry).
    await queue.add('expire-hold', { holdId: 'not a number' }, { jobId: 'bad-payload-1' });
    await failed('bad-payload-1');
    await backdateFinishedJob(t.redis, queue, 'failed', 'bad-payload-1', Date.now() - 8 * 24 * 3_600_000);

    // The next job that fails applies the retention (failed jobs kept a week).
    await queue.add('expire-hold', { holdId: 'not a number' }, { jobId: 'bad-payload-2' });
    await failed('bad-payload-2');
    expect(await queue.getJob('bad-payload-1')).toBeUndefined();
    expect(await queue.getJobState('bad-payload-2')).toBe('failed');
  });
});
