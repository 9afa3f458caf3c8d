import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServiceProcess } from '@flash-sale/testing';
import { expectAuditClean, expectLedgerExact } from './support/ledger.ts';
import { call, type Answer } from './support/load.ts';
import { startFaultStackWithApi, type ApiProcess, type FaultStack } from './support/stack.ts';
import { sendWebhook, WEBHOOK_SECRET } from './support/webhooks.ts';

// A storm of payment webhooks: for each order a success and a failure (different keys, sent in
// either order), each delivered three times, all at once, while the worker is SIGKILLed and
// replaced mid-way. Each event gets exactly one outcome; each order exactly one result, that of
// the first received; no order is both paid and restocked.

const env = { PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET, SWEEP_INTERVAL_SECONDS: '1', WORKER_CONCURRENCY: '16' };
let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  ({ stack, api } = await startFaultStackWithApi(env));
});
afterAll(async () => stack?.close());

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

describe('a webhook storm with duplicates, out-of-order pairs and a worker restart', () => {
  it('gives each event one outcome and each order one result', async () => {
    const productId = await stack.createProduct(200);
    let worker: ServiceProcess = await stack.startWorker(env);
    const orders: number[] = [];
    for (let index = 0; index < 60; index += 1) {
      const hold = await call(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 + (index % 3) } });
      const order = await call(api.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
      expect(order.status).toBe(201);
      orders.push(order.body.order_id);
    }
    const deliveries = shuffled(
      orders.flatMap((orderId) =>
        (['success', 'failure'] as const).flatMap((status) => [1, 2, 3].map(() => ({ orderId, status, key: `evt_storm_${orderId}_${status}` }))),
      ),
    );

    const answers: Answer[] = [];
    let sent = 0;
    const restart = (async () => {
      await vi.waitFor(() => expect(sent).toBeGreaterThan(deliveries.length / 3), { timeout: 20_000, interval: 10 });
      worker.child.kill('SIGKILL');
      await worker.exited;
      worker = await stack.startWorker(env);
    })();
    for (let index = 0; index < deliveries.length; index += 24) {
      const wave = deliveries.slice(index, index + 24);
      answers.push(...(await Promise.all(wave.map((each) => sendWebhook(api.url, { order_id: each.orderId, status: each.status }, each.key)))));
      sent += wave.length;
    }
    await restart;

    // Each key: accepted once (202), every other delivery a duplicate (200).
    expect(answers.filter((answer) => answer.status !== 202 && answer.status !== 200)).toEqual([]);
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(orders.length * 2);

    await vi.waitFor(async () => expect(await stack.db.paymentEvent.count({ where: { outcome: null } })).toBe(0), { timeout: 60_000, interval: 250 });
    const events = await stack.db.paymentEvent.findMany({ select: { id: true, orderId: true, result: true, outcome: true, receivedAt: true }, orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }] });
    expect(events).toHaveLength(orders.length * 2);
    const finals = await stack.db.order.findMany({ select: { id: true, status: true, cancelReason: true, qty: true } });
    for (const order of finals) {
      const own = events.filter((event) => event.orderId === order.id);
      const applied = own.filter((event) => event.outcome === 'applied');
      // The first result received decides, whichever job ran first; the other one contradicts it
      // and is a conflict.
      expect(applied).toHaveLength(1);
      expect(applied[0]!.id).toBe(own[0]!.id);
      expect(own.filter((event) => event.outcome === 'conflict')).toHaveLength(1);
      expect(order.status).toBe(applied[0]!.result === 'success' ? 'paid' : 'cancelled');
      if (order.status === 'cancelled') expect(order.cancelReason).toBe('payment_failed');
    }
    // No order both paid and restocked: the stock is what the paid orders took, exactly.
    const paidUnits = finals.filter((order) => order.status === 'paid').reduce((sum, order) => sum + order.qty, 0);
    expect((await stack.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock).toBe(200 - paidUnits);
    await expectLedgerExact(stack);
    await expectAuditClean(stack);
  });
});
