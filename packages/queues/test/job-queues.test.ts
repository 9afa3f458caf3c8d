import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deleteRedisPrefix, loseDelayedJobPlace, loseJobData, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';
import { bullPrefix, createFailFastRedis, createJobQueues, createWorkerRedis, redisReady, type JobQueues } from '../src/index.ts';

const prefix = uniqueRedisPrefix();
const connection = createFailFastRedis(testRedisUrl());
let jobs: JobQueues;
beforeAll(async () => {
  await redisReady(connection, 5_000, 'test Redis');
  jobs = createJobQueues(connection, prefix, () => undefined);
});
afterAll(async () => {
  await jobs.close();
  connection.disconnect();
  await deleteRedisPrefix(prefix);
});

/** Runs order-timeout jobs through a worker that fails them, until `count` have failed. */
async function failJobs(count: number): Promise<void> {
  const workerConnection = createWorkerRedis(testRedisUrl());
  const worker = new Worker('order-timeout', async () => {
    throw new Error('boom');
  }, { connection: workerConnection, prefix: bullPrefix(prefix) });
  await vi.waitFor(async () => expect((await jobs.counts('order-timeout')).failed).toBe(count), { timeout: 10_000, interval: 50 });
  await worker.close();
  workerConnection.disconnect();
}

describe('job queues', () => {
  it('enqueues each payload once, under its catalog job id', async () => {
    await jobs.enqueue('hold-expiry', { holdId: 1 }, { delayMs: 60_000 });
    await jobs.enqueue('hold-expiry', { holdId: 1 }, { delayMs: 60_000 });
    const job = await jobs.queue('hold-expiry').getJob('hold-1');
    expect(job?.data).toEqual({ holdId: 1 });
    expect((await jobs.counts('hold-expiry')).delayed).toBe(1);
  });

  it('tells which payloads have no live job: none at all, or one that already finished', async () => {
    // One attempt only (the catalog allows eight), so the worker below fails it for good.
    await jobs.queue('order-timeout').add('timeout-order', { orderId: 10 }, { jobId: 'order-10', attempts: 1 });
    await failJobs(1);
    await jobs.enqueue('order-timeout', { orderId: 11 }, { delayMs: 60_000 });
    const missing = await jobs.missing('order-timeout', [{ orderId: 10 }, { orderId: 11 }, { orderId: 12 }]);
    expect(missing).toEqual([{ orderId: 10 }, { orderId: 12 }]);
  });

  it('runSoon adds a missing job, retries a failed one, and promotes a delayed one only when asked', async () => {
    expect(await jobs.runSoon('order-timeout', { orderId: 20 })).toBe('added');
    expect(await jobs.runSoon('order-timeout', { orderId: 10 })).toBe('retried');
    expect(await jobs.queue('order-timeout').getJobState('order-10')).toBe('waiting');

    expect(await jobs.runSoon('order-timeout', { orderId: 11 })).toBe('present');
    expect(await jobs.queue('order-timeout').getJobState('order-11')).toBe('delayed');
    expect(await jobs.runSoon('order-timeout', { orderId: 11 }, { promoteDelayed: true })).toBe('promoted');
    expect(await jobs.queue('order-timeout').getJobState('order-11')).toBe('waiting');
  });

  it('takes a job Redis kept only part of for missing, and runSoon replaces it with a whole one', async () => {
    const queue = jobs.queue('hold-expiry');
    await jobs.enqueue('hold-expiry', { holdId: 30 }, { delayMs: 60_000 });
    await jobs.enqueue('hold-expiry', { holdId: 31 }, { delayMs: 60_000 });
    // 30: the hash without its data; 31: the id in no list.
    await loseJobData(connection, queue, 'hold-30');
    await loseDelayedJobPlace(connection, queue, 'hold-31');
    expect(await jobs.missing('hold-expiry', [{ holdId: 30 }, { holdId: 31 }])).toEqual([{ holdId: 30 }, { holdId: 31 }]);

    expect(await jobs.runSoon('hold-expiry', { holdId: 30 })).toBe('added');
    expect(await jobs.runSoon('hold-expiry', { holdId: 31 })).toBe('added');
    for (const id of ['hold-30', 'hold-31']) {
      const job = await queue.getJob(id);
      expect(job?.data).toEqual({ holdId: Number(id.slice(5)) });
      expect(await job!.getState()).toBe('waiting');
    }
    expect(await jobs.missing('hold-expiry', [{ holdId: 30 }, { holdId: 31 }])).toEqual([]);
  });
});
