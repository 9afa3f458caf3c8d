import { expect, vi } from 'vitest';
import { expectAuditClean, expectLedgerExact } from './ledger.ts';
import { call, closedLoop, type Answer } from './load.ts';
import { startFaultStackWithApi, type ApiProcess, type FaultStack } from './stack.ts';
import { sendWebhook, WEBHOOK_SECRET } from './webhooks.ts';

/**
 * A sale for the cases that take Redis away: the api and one worker on a stack of their own,
 * holds due 3 s after they are made and a sweep every second, so that everything made during
 * the fault comes due within the case.
 */
export async function startSale(): Promise<{ stack: FaultStack; api: ApiProcess }> {
  const env = { HOLD_TTL_SECONDS: '3', SWEEP_INTERVAL_SECONDS: '1', PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET };
  const { stack, api } = await startFaultStackWithApi(env);
  await stack.startWorker(env);
  return { stack, api };
}

/**
 * After the fault: every hold comes due and gives its stock back (its job, or the sweeper), every
 * webhook accepted meanwhile gets an outcome and is applied, and then the ledger is exact in
 * MySQL and in the cache, and `flash-sale audit` is clean.
 */
export async function expectSaleSettled(stack: FaultStack, webhookKeys: string[]): Promise<void> {
  await vi.waitFor(async () => expect(await stack.db.hold.count({ where: { status: 'active' } })).toBe(0), { timeout: 30_000, interval: 250 });
  await vi.waitFor(
    async () => expect(await stack.db.paymentEvent.count({ where: { idempotencyKey: { in: webhookKeys }, outcome: null } })).toBe(0),
    { timeout: 45_000, interval: 250 },
  );
  expect(await stack.db.paymentEvent.count({ where: { idempotencyKey: { in: webhookKeys } } })).toBe(webhookKeys.length);
  expect(await stack.db.paymentEvent.count({ where: { outcome: { not: 'applied' } } })).toBe(0);
  await expectLedgerExact(stack);
  await expectAuditClean(stack);
}

export type Request = 'hold' | 'read' | 'order' | 'webhook';

/**
 * The crowd: 12 clients in a closed loop, each making a hold of one unit, then, on every fourth
 * success, an order from it and its payment webhook (every eighth a failure); with `reads`, each
 * hold is followed by a read of the product. Every request goes through `record` (to keep or time
 * its answer). Bounded in time and steps. Returns the webhooks' keys.
 */
export async function runCrowd(
  api: ApiProcess,
  productId: number,
  options: { durationMs: number; maxSteps: number; keyTag: string; reads?: boolean; record: (what: Request, answer: Promise<Answer>) => Promise<Answer> },
): Promise<string[]> {
  const { record } = options;
  const webhookKeys: string[] = [];
  await closedLoop({ clients: 12, durationMs: options.durationMs, maxSteps: options.maxSteps }, async (step) => {
    const hold = await record('hold', call(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } }));
    if (options.reads) await record('read', call(api.url, 'GET', `/api/products/${productId}`));
    if (hold.status !== 201 || step % 4 !== 0) return;
    const order = await record('order', call(api.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } }));
    if (order.status !== 201) return;
    const key = `evt_${options.keyTag}_${step}`;
    webhookKeys.push(key);
    await record('webhook', sendWebhook(api.url, { order_id: order.body.order_id, status: step % 8 === 0 ? 'failure' : 'success' }, key));
  });
  return webhookKeys;
}
