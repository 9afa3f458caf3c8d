import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { reserveHoldIds } from '@flash-sale/checkout';
import { bullPrefix, queueCatalog } from '@flash-sale/queues';
import type { ServiceProcess } from '@flash-sale/testing';
import { Queue } from 'bullmq';
import { expectAuditClean, expectLedgerExact } from './support/ledger.ts';
import { call } from './support/load.ts';
import { startFaultStackWithApi, type ApiProcess, type FaultStack } from './support/stack.ts';

// A worker SIGKILLed while 500 holds come due: BullMQ's stalled-job recovery, a second worker
// and the sweeper between them expire each hold exactly once, and every unit comes back.

const env = { HOLD_TTL_SECONDS: '3', SWEEP_INTERVAL_SECONDS: '1', WORKER_CONCURRENCY: '16' };
let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  ({ stack, api } = await startFaultStackWithApi(env));
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

describe('5,000 holds due together, three workers, one SIGKILLed mid-way', () => {
  it('expires every one exactly once', async () => {
    const productId = await stack.createProduct(10_000);
    const workers = [await stack.startWorker(env), await stack.startWorker(env), await stack.startWorker(env)];
    // As the api leaves them: the holds in MySQL with their stock taken, one delayed job each,
    // all due within the same second.
    const dueFrom = Date.now() + 3_000;
    const ids = await reserveHoldIds(stack.db, 5_000);
    for (let index = 0; index < 5_000; index += 1_000) {
      await stack.db.hold.createMany({
        data: Array.from({ length: 1_000 }, (_, offset) => ({
          id: ids.first + index + offset,
          productId,
          qty: 1,
          status: 'active' as const,
          expiresAt: new Date(dueFrom + Math.floor(((index + offset) / 5_000) * 1_000)),
        })),
      });
    }
    await stack.db.product.update({ where: { id: productId }, data: { availableStock: { decrement: 5_000 } } });
    const holds = await stack.db.hold.findMany({ where: { productId }, select: { id: true, expiresAt: true } });
    const queue = new Queue('hold-expiry', { connection: stack.redisClient, prefix: bullPrefix(stack.prefix) });
    for (let index = 0; index < holds.length; index += 500) {
      await queue.addBulk(
        holds.slice(index, index + 500).map((hold) => ({
          name: queueCatalog['hold-expiry'].jobName,
          data: { holdId: hold.id },
          opts: { ...queueCatalog['hold-expiry'].options, jobId: queueCatalog['hold-expiry'].jobId({ holdId: hold.id }), delay: Math.max(0, hold.expiresAt.getTime() - Date.now()) },
        })),
      );
    }
    const expired = () => stack.db.hold.count({ where: { productId, status: 'expired' } });
    await vi.waitFor(async () => expect(await expired()).toBeGreaterThanOrEqual(100), { timeout: 20_000, interval: 10 });
    workers[0]!.child.kill('SIGKILL');
    await workers[0]!.exited;

    await vi.waitFor(async () => expect(await expired()).toBe(5_000), { timeout: 40_000, interval: 200 });
    expect((await stack.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock).toBe(10_000);
    const byHold = new Map<number, number>();
    for (const line of workers.flatMap((worker) => worker.lines)) {
      if (line.msg === 'hold expired') byHold.set(line.holdId as number, (byHold.get(line.holdId as number) ?? 0) + 1);
    }
    expect([...byHold.values()].filter((count) => count !== 1)).toEqual([]);
    await queue.close();
    await expectLedgerExact(stack);
    await expectAuditClean(stack);
    for (const worker of workers.slice(1)) worker.child.kill('SIGTERM');
    for (const worker of workers.slice(1)) expect((await worker.exited)[0]).toBe(0);
  });
});
