import { cancelDueOrders, defaultSweepOptions, PAYMENT_RESULT_GRACE_MS, type CheckoutDeps } from '@flash-sale/checkout';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request, sendWebhook, startApiStack, startWorker, type InProcessWorker, type ApiStack } from './support/stack.ts';

// The payment deadline rule: a result received before an order's payment deadline decides it,
// whatever the order in which the timeout and the event are processed and however late the
// workers are. Here the payment-webhook queue is paused, so the event is stored but not applied
// when the order's timeout comes due: the timeout must apply it, not cancel the order.

let t: ApiStack;
let worker: InProcessWorker;
beforeAll(async () => {
  // 3 s: long enough to create the order and send its webhook before the deadline on a busy machine.
  t = await startApiStack({ ORDER_PAYMENT_TIMEOUT_SECONDS: '3', SWEEP_INTERVAL_SECONDS: '3600' });
  worker = await startWorker(t.config);
});
afterAll(async () => {
  await worker?.close();
  await t?.close();
});

let keys = 0;
const newKey = () => `evt_deadline_${Date.now()}_${(keys += 1)}`;
const available = async (productId: number) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock;
const orderRow = (orderId: number) => t.db.order.findUniqueOrThrow({ where: { id: orderId } });
const eventOf = (key: string) => t.db.paymentEvent.findUniqueOrThrow({ where: { idempotencyKey: key } });

async function pendingOrder(qty = 2): Promise<{ productId: number; orderId: number }> {
  const productId = await t.createProduct({ totalStock: 10 });
  const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty } });
  const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
  expect(order.status).toBe(201);
  return { productId, orderId: order.body.order_id };
}

async function withPaymentQueuePaused(run: () => Promise<void>): Promise<void> {
  const queue = t.queue('payment-webhook');
  await queue.pause();
  try {
    await run();
  } finally {
    await queue.resume();
  }
}

describe('a result received before the deadline, applied late', () => {
  it.each([
    ['success', 'paid', null, 8],
    ['failure', 'cancelled', 'payment_failed', 10],
  ] as const)('%s -> the order is %s (%s), not timed out', async (result, status, cancelReason, stockAfter) => {
    const { productId, orderId } = await pendingOrder();
    const key = newKey();
    await withPaymentQueuePaused(async () => {
      expect((await sendWebhook(t, { order_id: orderId, status: result }, { key })).status).toBe(202);
      const event = await eventOf(key);
      expect(event.receivedAt.getTime()).toBeLessThan((await orderRow(orderId)).paymentDueAt.getTime());
      // The timeout job comes due while the event's job cannot run.
      await vi.waitFor(async () => expect((await orderRow(orderId)).status).not.toBe('pending'), { timeout: 15_000, interval: 50 });
      const order = await orderRow(orderId);
      expect({ status: order.status, cancelReason: order.cancelReason }).toEqual({ status, cancelReason });
      expect((await eventOf(key)).outcome).toBe('applied');
      expect(await available(productId)).toBe(stockAfter);
    });
    // The event's own job, once the queue runs again, finds it done and changes nothing.
    const jobId = `payment-event-${(await eventOf(key)).id}`;
    await vi.waitFor(async () => expect(await t.queue('payment-webhook').getJobState(jobId)).toBe('completed'), { timeout: 10_000, interval: 50 });
    expect((await t.queue('payment-webhook').getJob(jobId))!.returnvalue).toEqual({ outcome: 'already_processed' });
    expect((await eventOf(key)).outcome).toBe('applied');
    expect(await available(productId)).toBe(stockAfter);
    expect(worker.logs.filter((line) => line.msg === 'order cancelled' && line.orderId === orderId)).toHaveLength(0);
  });

  it('the sweeper follows the same rule for an order whose timeout job was lost', async () => {
    const { productId, orderId } = await pendingOrder();
    await t.queue('order-timeout').remove(`order-${orderId}`);
    const key = newKey();
    await withPaymentQueuePaused(async () => {
      expect((await sendWebhook(t, { order_id: orderId, status: 'success' }, { key })).status).toBe(202);
      // The sweeper's pass, with its clock past the deadline and the grace.
      const later: CheckoutDeps = { ...(await t.domain()), clock: { now: () => new Date(Date.now() + 60_000) } };
      expect((await cancelDueOrders(later, defaultSweepOptions)).handled).toBe(1);
    });
    expect((await orderRow(orderId)).status).toBe('paid');
    expect((await eventOf(key)).outcome).toBe('applied');
    expect(await available(productId)).toBe(8);
  });
});

describe('a result received after the deadline', () => {
  it('for an order whose timeout has not run yet times the order out, whichever job comes first', async () => {
    const { productId, orderId } = await pendingOrder();
    // The timeout job is late (or lost): the late result's job comes first.
    await t.queue('order-timeout').remove(`order-${orderId}`);
    const dueAt = (await orderRow(orderId)).paymentDueAt.getTime();
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(dueAt), { timeout: 10_000, interval: 50 });
    const key = newKey();
    expect((await sendWebhook(t, { order_id: orderId, status: 'success' }, { key })).status).toBe(202);
    await vi.waitFor(async () => expect((await eventOf(key)).outcome).toBe('conflict'), { timeout: 15_000, interval: 50 });
    const order = await orderRow(orderId);
    expect({ status: order.status, cancelReason: order.cancelReason }).toEqual({ status: 'cancelled', cancelReason: 'payment_timeout' });
    expect(await available(productId)).toBe(10);
  });

  it('for an order already timed out is a conflict, and changes nothing', async () => {
    const { productId, orderId } = await pendingOrder();
    await vi.waitFor(async () => expect((await orderRow(orderId)).cancelReason).toBe('payment_timeout'), { timeout: 15_000, interval: 50 });
    expect(await available(productId)).toBe(10);
    const key = newKey();
    expect((await sendWebhook(t, { order_id: orderId, status: 'success' }, { key })).status).toBe(202);
    await vi.waitFor(async () => expect((await eventOf(key)).outcome).toBe('conflict'), { timeout: 10_000, interval: 50 });
    expect((await orderRow(orderId)).status).toBe('cancelled');
    expect(await available(productId)).toBe(10);
  });
});

describe('a result whose storing waits longer than the grace', () => {
  it('is refused with a 503 and not stored, so that its retry is received anew', async () => {
    const { orderId } = await pendingOrder();
    const key = newKey();
    // A locking read of the order's events, as the payment timeout's own: it holds back any
    // INSERT of an event for the order. Here it stands in for a timeout that has looked and is
    // cancelling the order while the webhook waits.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = t.db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM payment_events FORCE INDEX (payment_events_order_id_idx) WHERE order_id = ${orderId} FOR UPDATE`;
        locked();
        await released;
      },
      { timeout: 15_000 },
    );
    await isLocked;
    const answer = sendWebhook(t, { order_id: orderId, status: 'success' }, { key });
    // The webhook's INSERT is under way, waiting on the lock: from now on, longer than the grace.
    await vi.waitFor(async () => {
      const statement = `INSERT INTO \`payment_events\`%${key}%`;
      const [row] = await t.db.$queryRaw<{ running: bigint }[]>`SELECT COUNT(*) AS running FROM information_schema.PROCESSLIST WHERE info LIKE ${statement}`;
      expect(Number(row!.running)).toBe(1);
    }, { timeout: 5_000, interval: 20 });
    await new Promise((resolve) => setTimeout(resolve, PAYMENT_RESULT_GRACE_MS + 300));
    release();
    await holder;
    const first = await answer;
    expect({ status: first.status, code: first.body.error?.code, retryAfter: first.headers.get('retry-after') }).toEqual({ status: 503, code: 'service_unavailable', retryAfter: '1' });
    expect(await t.db.paymentEvent.count({ where: { idempotencyKey: key } })).toBe(0);

    const retriedAt = Date.now();
    expect((await sendWebhook(t, { order_id: orderId, status: 'success' }, { key })).status).toBe(202);
    expect((await eventOf(key)).receivedAt.getTime()).toBeGreaterThanOrEqual(retriedAt);
  });
});
