import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectAuditClean, expectLedgerExact } from './support/ledger.ts';
import { call, closedLoop, type Answer } from './support/load.ts';
import { startFaultStack, type ApiProcess, type FaultStack } from './support/stack.ts';
import { sendWebhook, WEBHOOK_SECRET } from './support/webhooks.ts';

// Redis dies mid-sale and comes back empty: every delayed job, the cache and the queues are
// gone. Holds keep working from MySQL; afterwards every hold still comes due and gives its stock
// back within seconds of its expires_at, and every webhook stored meanwhile gets its outcome,
// with no restart of any process.

let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  stack = await startFaultStack();
  const env = { HOLD_TTL_SECONDS: '3', SWEEP_INTERVAL_SECONDS: '1', PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET };
  api = await stack.startApi(env);
  await stack.startWorker(env);
});
afterAll(async () => stack?.close());

describe('Redis down, then back empty, mid-sale', () => {
  it('brings every unit back within seconds of its deadline and applies every event, without a restart', async () => {
    const productId = await stack.createProduct(100_000);
    const answers: Answer[] = [];
    const webhookKeys: string[] = [];
    const outage = (async () => {
      await sleep(1_500);
      await stack.redis.kill();
      await sleep(1_500);
      await stack.redis.up();
    })();
    await closedLoop({ clients: 12, durationMs: 5_000, maxSteps: 3_000 }, async (step) => {
      const hold = await call(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
      answers.push(hold);
      if (hold.status !== 201 || step % 4 !== 0) return;
      const order = await call(api.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
      answers.push(order);
      if (order.status !== 201) return;
      const key = `evt_redis_loss_${step}`;
      webhookKeys.push(key);
      answers.push(await sendWebhook(api.url, { order_id: order.body.order_id, status: step % 8 === 0 ? 'failure' : 'success' }, key));
    });
    await outage;

    // Redis was away for a second and a half: holds, orders and webhooks were still served.
    expect(answers.filter((answer) => answer.status >= 500 || answer.status === 0)).toEqual([]);
    expect(answers.filter((answer) => answer.status === 201).length).toBeGreaterThan(100);
    expect(webhookKeys.length).toBeGreaterThan(10);

    // Every hold comes due and goes back, jobs or no jobs.
    await vi.waitFor(async () => expect(await stack.db.hold.count({ where: { status: 'active' } })).toBe(0), { timeout: 30_000, interval: 250 });
    const lateness = await stack.db.$queryRaw<{ worst: number | null }[]>`
      SELECT MAX(TIMESTAMPDIFF(MICROSECOND, expires_at, updated_at)) / 1000 AS worst FROM holds WHERE status = 'expired'`;
    // Sweeper grace (2 s) plus its interval (1 s, with jitter) plus a reconnect: within seconds.
    expect(Number(lateness[0]!.worst)).toBeLessThan(8_000);

    // Every webhook stored while Redis was away has its outcome (the sweeper re-drove it).
    await vi.waitFor(
      async () => expect(await stack.db.paymentEvent.count({ where: { idempotencyKey: { in: webhookKeys }, outcome: null } })).toBe(0),
      { timeout: 45_000, interval: 250 },
    );
    expect(await stack.db.paymentEvent.count({ where: { idempotencyKey: { in: webhookKeys } } })).toBe(webhookKeys.length);
    expect(await stack.db.paymentEvent.count({ where: { outcome: { not: 'applied' } } })).toBe(0);

    // Nothing was taken from the sweeper by the outage: no job scheduler on any queue.
    expect(await stack.redisClient.keys(`${stack.prefix}:bull:*:repeat*`)).toEqual([]);
    await expectLedgerExact(stack);
    await expectAuditClean(stack);
  });
});
