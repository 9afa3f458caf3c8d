import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServiceProcess } from '@flash-sale/testing';
import { expectAuditClean, expectLedgerExact } from './support/ledger.ts';
import { call } from './support/load.ts';
import { startFaultStack, type ApiProcess, type FaultStack } from './support/stack.ts';

// A worker SIGKILLed while 500 holds come due: BullMQ's stalled-job recovery, a second worker
// and the sweeper between them expire each hold exactly once, and every unit comes back.

const env = { HOLD_TTL_SECONDS: '3', SWEEP_INTERVAL_SECONDS: '1', WORKER_CONCURRENCY: '16' };
let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  stack = await startFaultStack();
  api = await stack.startApi(env);
});
afterAll(async () => stack?.close());

describe('a worker SIGKILLed with 500 holds due', () => {
  it('expires each hold exactly once and gives every unit back', async () => {
    // A unit given back twice would break the ledger below (or hit the CHECK on total_stock).
    const productId = await stack.createProduct(2_000);
    const first = await stack.startWorker(env);

    const holdIds: number[] = [];
    for (let batch = 0; batch < 20; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => call(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } })),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(201);
        holdIds.push(answer.body.hold_id);
      }
    }
    const expired = () => stack.db.hold.count({ where: { productId, status: 'expired' } });
    await vi.waitFor(async () => expect(await expired()).toBeGreaterThanOrEqual(20), { timeout: 20_000, interval: 20 });
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await expired()).toBeLessThan(500);
    const second: ServiceProcess = await stack.startWorker(env);

    await vi.waitFor(async () => expect(await expired()).toBe(500), { timeout: 40_000, interval: 200 });
    expect((await stack.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock).toBe(2_000);
    // Logged at most once each, by whichever process did it (the killed one may have committed
    // some it never got to log).
    const byHold = new Map<number, number>();
    for (const line of [...first.lines, ...second.lines]) {
      if (line.msg === 'hold expired') byHold.set(line.holdId as number, (byHold.get(line.holdId as number) ?? 0) + 1);
    }
    expect([...byHold.values()].filter((count) => count !== 1)).toEqual([]);
    expect([...byHold.keys()].filter((id) => !holdIds.includes(id))).toEqual([]);
    await expectLedgerExact(stack);
    await expectAuditClean(stack);
  });
});
