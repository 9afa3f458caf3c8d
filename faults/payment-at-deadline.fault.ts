import { setTimeout as sleep } from 'node:timers/promises';
import { bullPrefix } from '@flash-sale/queues';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectAuditClean, expectLedgerExact } from './support/ledger.ts';
import { call } from './support/load.ts';
import { startFaultStackWithApi, type ApiProcess, type FaultStack } from './support/stack.ts';
import { sendWebhook, WEBHOOK_SECRET } from './support/webhooks.ts';

// Payments that arrive just before their order's deadline while the payment-webhook queue is
// paused (the workers cannot apply them): the timeout, coming due, applies each result received
// in time instead of cancelling. Only orders with no result time out.

const env = { PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET, ORDER_PAYMENT_TIMEOUT_SECONDS: '4', SWEEP_INTERVAL_SECONDS: '1' };
let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  ({ stack, api } = await startFaultStackWithApi(env));
  await stack.startWorker(env);
});
afterAll(async () => stack?.close());

describe('a payment at the deadline with the queue paused', () => {
  it('is paid (or payment_failed), never payment_timeout', async () => {
    const productId = await stack.createProduct(500);
    const orders: { orderId: number; dueAt: number; result: 'success' | 'failure' | 'none' }[] = [];
    const queue = new Queue('payment-webhook', { connection: stack.redisClient, prefix: bullPrefix(stack.prefix) });
    await queue.pause();
    try {
      for (let index = 0; index < 30; index += 1) {
        const hold = await call(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
        const order = await call(api.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
        const row = await stack.db.order.findUniqueOrThrow({ where: { id: order.body.order_id } });
        orders.push({ orderId: row.id, dueAt: row.paymentDueAt.getTime(), result: (['success', 'failure', 'none'] as const)[index % 3]! });
      }
      // Each result sent in the last 400 ms before its order's deadline.
      await Promise.all(
        orders
          .filter((order) => order.result !== 'none')
          .map(async (order) => {
            await sleep(Math.max(0, order.dueAt - Date.now() - 400 + Math.random() * 200));
            const answer = await sendWebhook(api.url, { order_id: order.orderId, status: order.result as 'success' | 'failure' }, `evt_deadline_${order.orderId}`);
            expect(answer.status).toBe(202);
          }),
      );
      const received = await stack.db.paymentEvent.findMany({ select: { orderId: true, receivedAt: true } });
      for (const event of received) expect(event.receivedAt.getTime()).toBeLessThanOrEqual(orders.find((order) => order.orderId === event.orderId)!.dueAt);

      await vi.waitFor(async () => expect(await stack.db.order.count({ where: { status: 'pending' } })).toBe(0), { timeout: 20_000, interval: 100 });
    } finally {
      await queue.resume();
    }
    const finals = await stack.db.order.findMany({ select: { id: true, status: true, cancelReason: true } });
    for (const order of orders) {
      const final = finals.find((each) => each.id === order.orderId)!;
      const expected =
        order.result === 'success'
          ? { status: 'paid', cancelReason: null }
          : { status: 'cancelled', cancelReason: order.result === 'failure' ? 'payment_failed' : 'payment_timeout' };
      expect({ orderId: order.orderId, status: final.status, cancelReason: final.cancelReason }).toEqual({ orderId: order.orderId, ...expected });
    }
    // The events' own jobs, once the queue runs, find them applied already.
    await vi.waitFor(async () => expect(await queue.getJobCounts('waiting', 'active')).toEqual({ waiting: 0, active: 0 }), { timeout: 10_000, interval: 100 });
    expect(await stack.db.paymentEvent.count({ where: { outcome: { not: 'applied' } } })).toBe(0);
    expect(await stack.db.paymentEvent.count({ where: { outcome: null } })).toBe(0);
    await queue.close();
    await expectLedgerExact(stack);
    await expectAuditClean(stack);
  });
});
