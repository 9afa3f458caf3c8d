import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseDatabaseUrl } from '@flash-sale/db';
import { CuttableProxy } from '@flash-sale/testing';
import { request, sendWebhook, startApiStack, startWorker, type InProcessWorker, type ApiStack } from './support/stack.ts';

// The worker reaches MySQL through a TCP proxy the test can cut, as a network blip or a MySQL
// restart would; the api keeps its own direct connection.

let t: ApiStack;
let worker: InProcessWorker;
let proxy: CuttableProxy;
beforeAll(async () => {
  t = await startApiStack({ SWEEP_INTERVAL_SECONDS: '3600' });
  const target = parseDatabaseUrl(t.config.databaseUrl);
  proxy = new CuttableProxy({ host: target.host, port: target.port });
  await proxy.up();
  const viaProxy = new URL(t.config.databaseUrl);
  viaProxy.port = String(proxy.port);
  worker = await startWorker({ ...t.config, databaseUrl: viaProxy.toString() });
});
afterAll(async () => {
  await proxy?.up().catch(() => undefined);
  await worker?.close();
  await proxy?.down();
  await t?.close();
});

describe('a webhook whose processing throws', () => {
  it('is retried while MySQL is unreachable and applied once it is back', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });

    await proxy.down();
    const key = `evt_outage_${Date.now()}`;
    expect((await sendWebhook(t, { order_id: order.body.order_id, status: 'success' }, { key })).status).toBe(202);
    const event = await t.db.paymentEvent.findUniqueOrThrow({ where: { idempotencyKey: key } });
    const jobId = `payment-event-${event.id}`;
    await vi.waitFor(() => expect(worker.logs.some((line) => line.msg === 'job will be retried' && line.jobId === jobId)).toBe(true), {
      timeout: 20_000,
      interval: 100,
    });
    expect((await t.db.order.findUniqueOrThrow({ where: { id: order.body.order_id } })).status).toBe('pending');

    await proxy.up();
    await vi.waitFor(async () => expect((await t.db.order.findUniqueOrThrow({ where: { id: order.body.order_id } })).status).toBe('paid'), {
      timeout: 30_000,
      interval: 100,
    });
    expect((await t.db.paymentEvent.findUniqueOrThrow({ where: { id: event.id } })).outcome).toBe('applied');
  }, 60_000);

  it('is given up on while MySQL hangs (connections open, nothing answered), retried, and applied once it answers', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });

    proxy.stall();
    const stalledAt = performance.now();
    const key = `evt_hang_${Date.now()}`;
    expect((await sendWebhook(t, { order_id: order.body.order_id, status: 'success' }, { key })).status).toBe(202);
    const event = await t.db.paymentEvent.findUniqueOrThrow({ where: { idempotencyKey: key } });
    const jobId = `payment-event-${event.id}`;
    try {
      // The job's statement is given up on at the no-answer deadline (12 s), and the job waits
      // for its next attempt instead of staying active for as long as the hang lasts.
      await vi.waitFor(() => expect(worker.logs.some((line) => line.msg === 'job will be retried' && line.jobId === jobId)).toBe(true), {
        timeout: 20_000,
        interval: 100,
      });
      expect(proxy.bytesSinceStall()).toBeGreaterThan(0);
      expect(performance.now() - stalledAt).toBeLessThan(17_000);
      expect(await worker.runtime.stores.jobs.queue('payment-webhook').getJobState(jobId)).not.toBe('active');
      expect(worker.logs.filter((line) => String(line.msg).startsWith('MySQL stopped answering'))).toHaveLength(1);
      expect((await t.db.order.findUniqueOrThrow({ where: { id: order.body.order_id } })).status).toBe('pending');
    } finally {
      // The partition heals: what the hung connections held back arrives late, and in order.
      proxy.endStall('deliver');
    }
    await vi.waitFor(async () => expect((await t.db.order.findUniqueOrThrow({ where: { id: order.body.order_id } })).status).toBe('paid'), {
      timeout: 30_000,
      interval: 100,
    });
    expect((await t.db.paymentEvent.findUniqueOrThrow({ where: { id: event.id } })).outcome).toBe('applied');
    // The line follows the commit that the read above saw, on the worker's own turn.
    const applied = () => worker.logs.filter((line) => line.msg === 'payment event applied' && line.orderId === order.body.order_id);
    await vi.waitFor(() => expect(applied().length).toBeGreaterThan(0), { timeout: 5_000, interval: 50 });
    expect(applied()).toHaveLength(1);
  }, 60_000);
});
