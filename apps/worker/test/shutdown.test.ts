import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { holdRowLock } from '@flash-sale/testing';
import { envOf, request, spawnWorker, startApiStack, startWorker, type ApiStack } from './support/stack.ts';

let t: ApiStack;
beforeAll(async () => {
  t = await startApiStack({ HOLD_TTL_SECONDS: '1', SWEEP_INTERVAL_SECONDS: '3600' });
});
afterAll(async () => t?.close());

describe('worker graceful shutdown', () => {
  it('on SIGTERM finishes the job in hand, then exits 0', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    const holdId = hold.body.hold_id as number;
    // Hold the hold's row lock so its expiry job is in progress, blocked, when SIGTERM arrives.
    // Taken before the worker starts: the job is due within a second, and a worker that is up
    // first would finish it before the lock is in place.
    const lock = await holdRowLock(t.db, 'holds', holdId);
    const worker = await spawnWorker(envOf(t.config)).catch(async (error: unknown) => {
      await lock.release();
      throw error;
    });
    const job = await t.queue('hold-expiry').getJob(`hold-${holdId}`);
    try {
      await vi.waitFor(async () => expect(await job!.getState()).toBe('active'), { timeout: 10_000, interval: 25 });
      worker.child.kill('SIGTERM');
      await vi.waitFor(() => expect(worker.lines.some((line) => line.msg === 'shutting down')).toBe(true), { timeout: 5_000, interval: 25 });
      expect(worker.child.exitCode).toBeNull();
    } finally {
      // Released on failure too: the lock's transaction would otherwise block dropping the database.
      await lock.release();
    }

    expect((await worker.exited)[0]).toBe(0);
    expect((await t.db.hold.findUniqueOrThrow({ where: { id: holdId } })).status).toBe('expired');
    expect(await job!.isCompleted()).toBe(true);
    expect(worker.lines.at(-1)?.msg).toBe('shut down cleanly');
  });
});

describe('worker close', () => {
  it('quits every Redis connection it opened (one per queue, and the runtime’s own)', async () => {
    const connectionsOfThisWorker = async () =>
      String(await t.redis.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(` name=${t.config.redisKeyPrefix}:worker`));
    const worker = await startWorker(t.config);
    // hold-expiry, order-timeout, payment-webhook, plus the cache and the enqueueing connection.
    expect(await connectionsOfThisWorker()).toHaveLength(5);
    await worker.close();
    await vi.waitFor(async () => expect(await connectionsOfThisWorker()).toEqual([]), { timeout: 5_000, interval: 50 });
  });
});
