import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectAuditClean, expectLedgerExact } from './support/ledger.ts';
import { call, closedLoop } from './support/load.ts';
import type { ServiceProcess } from '@flash-sale/testing';
import { startFaultStack, type FaultStack } from './support/stack.ts';

// The api SIGKILLed while 32 clients have holds in flight: each hold is whole (in MySQL with its
// stock taken, and it expires in time, by its job or by the sweeper) or absent.

let stack: FaultStack;
let worker: ServiceProcess;
beforeAll(async () => {
  stack = await startFaultStack();
  worker = await stack.startWorker({ HOLD_TTL_SECONDS: '2', SWEEP_INTERVAL_SECONDS: '1' });
});
afterAll(async () => stack?.close());

describe('the api SIGKILLed with 32 holds in flight', () => {
  it('leaves each hold whole or absent, and every committed one expires', async () => {
    const api = await stack.startApi({ HOLD_TTL_SECONDS: '2' });
    const productId = await stack.createProduct(1_000_000);
    const statuses: number[] = [];
    let killed = false;
    const load = closedLoop({ clients: 32, durationMs: 8_000, maxSteps: 20_000 }, async (step) => {
      if (killed) return;
      const headers: Record<string, string> = step % 2 === 0 ? { 'idempotency-key': randomUUID() } : {};
      statuses.push((await call(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 + (step % 3) }, headers })).status);
    });
    await vi.waitFor(() => expect(statuses.filter((status) => status === 201).length).toBeGreaterThan(200), { timeout: 20_000, interval: 20 });
    api.child.kill('SIGKILL');
    killed = true;
    await api.exited;
    await load;

    // Whole or absent, at once: the stock taken is exactly what the holds in MySQL hold.
    expect(statuses.filter((status) => status !== 201 && status !== 0)).toEqual([]);
    expect(statuses.filter((status) => status === 0).length).toBeGreaterThan(0);
    await expectLedgerExact(stack, { cache: false });
    const created = await stack.db.hold.count({ where: { productId } });
    expect(created).toBeGreaterThanOrEqual(statuses.filter((status) => status === 201).length);

    // Every committed hold expires, those whose job the dying api never enqueued included.
    await vi.waitFor(
      async () => {
        const late = await stack.db.hold.findMany({ where: { productId, status: 'active' }, select: { id: true, expiresAt: true }, take: 5 });
        expect(late, JSON.stringify(worker.lines.slice(-6))).toEqual([]);
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(await stack.db.hold.count({ where: { productId, status: 'expired' } })).toBe(created);
    expect((await stack.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock).toBe(1_000_000);
    await expectLedgerExact(stack);
    await expectAuditClean(stack);
  });
});
