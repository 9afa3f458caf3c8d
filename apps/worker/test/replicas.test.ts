import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { envOf, request, spawnWorker, startApiStack, type ApiStack, type WorkerProcess } from './support/stack.ts';

// Three real worker processes share the queues; one is SIGKILLed mid-way. BullMQ's stalled-job
// recovery (or the sweeper) finishes its work: every hold ends expired exactly once.

let t: ApiStack;
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  t = await startApiStack({ HOLD_TTL_SECONDS: '2', SWEEP_INTERVAL_SECONDS: '2', WORKER_CONCURRENCY: '8' });
});
afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await t?.close();
});

describe('worker replicas', () => {
  it('expire 300 holds exactly once across 3 processes, one of them killed mid-way, and leave no job stuck', async () => {
    // total 2300 with 2000 available: a unit returned twice would show as 2001, not hit the CHECK.
    const productId = await t.createProduct({ totalStock: 2300 });
    await t.db.product.update({ where: { id: productId }, data: { availableStock: 2000 } });
    for (let index = 0; index < 3; index += 1) workers.push(await spawnWorker(envOf(t.config)));

    const holdIds: number[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const responses = await Promise.all(
        Array.from({ length: 30 }, () => request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } })),
      );
      for (const response of responses) {
        expect(response.status).toBe(201);
        holdIds.push(response.body.hold_id);
      }
    }
    const expiredCount = () => t.db.hold.count({ where: { productId, status: 'expired' } });
    await vi.waitFor(async () => expect(await expiredCount()).toBeGreaterThanOrEqual(30), { timeout: 20_000, interval: 50 });
    workers[0]!.child.kill('SIGKILL');
    await workers[0]!.exited;

    await vi.waitFor(
      async () => {
        expect(await expiredCount()).toBe(300);
        expect((await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock).toBe(2000);
      },
      { timeout: 45_000, interval: 200 },
    );
    // Each hold's expiry was logged at most once, by whichever process did it.
    const expiredBy = new Map<number, number>();
    for (const line of workers.flatMap((worker) => worker.lines)) {
      if (line.msg === 'hold expired') expiredBy.set(line.holdId as number, (expiredBy.get(line.holdId as number) ?? 0) + 1);
    }
    expect([...expiredBy.values()].every((count) => count === 1)).toBe(true);
    expect([...expiredBy.keys()].every((id) => holdIds.includes(id))).toBe(true);

    const queue = t.queue('hold-expiry');
    await vi.waitFor(
      async () => {
        // The sweeper is no job: nothing at all is left on the queue.
        const counts = await queue.getJobCounts('active', 'waiting', 'failed', 'delayed');
        expect(counts).toEqual({ active: 0, waiting: 0, failed: 0, delayed: 0 });
      },
      { timeout: 45_000, interval: 250 },
    );

    // The survivors shut down cleanly on SIGTERM.
    for (const worker of workers.slice(1)) worker.child.kill('SIGTERM');
    for (const worker of workers.slice(1)) expect((await worker.exited)[0]).toBe(0);
  }, 120_000);
});
