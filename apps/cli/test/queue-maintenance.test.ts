import { bullPrefix, createWorkerRedis } from '@flash-sale/queues';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backdateFinishedJob, startTestStores, testRedisUrl, type TestStores } from '@flash-sale/testing';
import { finishJobs } from './support/finished-jobs.ts';
import { expectExitCode, runCli, runCliJson } from './support/run-cli.ts';

// clean, pause and resume: queue-wide actions, checked against BullMQ directly. Each test has a
// queue of its own (the pause test runs a worker), so they run concurrently.

let t: TestStores;
const TWO_HOURS = 2 * 3_600_000;

beforeAll(async () => {
  t = await startTestStores();
  const timeouts = t.queue('order-timeout');
  const completed = [1, 2, 3].map((orderId) => ({ id: `order-${orderId}`, data: { orderId } }));
  await Promise.all([
    finishJobs(timeouts, t.config.redisKeyPrefix, completed, 'completed').then(() =>
      finishJobs(timeouts, t.config.redisKeyPrefix, [{ id: 'order-9', data: { orderId: 9 } }], 'failed'),
    ),
    finishJobs(t.queue('payment-webhook'), t.config.redisKeyPrefix, [{ id: 'payment-event-1', data: { paymentEventId: 1 } }], 'completed'),
  ]);
});

afterAll(async () => {
  await t?.close();
});

describe.concurrent('clean', () => {
  it('refuses without --yes when stdin is not a terminal, and deletes nothing', async () => {
    const result = await runCli(t.config, ['clean', 'payment-webhook', '--state', 'completed', '--older-than', '0s']);
    expectExitCode(result, 2);
    expect(result.stderr).toContain('needs --yes');
    expect(await t.queue('payment-webhook').getJobState('payment-event-1')).toBe('completed');
  });

  it('--older-than 1h deletes exactly the completed job that finished 2 hours ago; --state failed only failed ones', async () => {
    const queue = t.queue('order-timeout');
    // Finished two hours ago, as far as clean can tell.
    await backdateFinishedJob(t.redis, queue, 'completed', 'order-1', Date.now() - TWO_HOURS);

    const [cleaned, youngFailed] = await Promise.all([
      runCli(t.config, ['clean', 'order-timeout', '--state', 'completed', '--older-than', '1h', '--yes']),
      runCli(t.config, ['clean', 'order-timeout', '--state', 'failed', '--older-than', '1h', '--yes']),
    ]);
    expectExitCode(cleaned, 0);
    expect(cleaned.stdout).toContain('deleted 1 completed job(s) older than 1h from order-timeout');
    expect(await queue.getJob('order-1')).toBeUndefined();
    expect(await Promise.all(['order-2', 'order-3'].map((id) => queue.getJobState(id)))).toEqual(['completed', 'completed']);
    // Nothing failed an hour ago: a finding, and nothing deleted.
    expectExitCode(youngFailed, 1);
    expect(youngFailed.stderr).toContain('no failed jobs older than 1h');
    expect(await queue.getJobState('order-9')).toBe('failed');

    const failed = await runCli(t.config, ['clean', 'order-timeout', '--state', 'failed', '--older-than', '0s', '--yes']);
    expectExitCode(failed, 0);
    expect(failed.stdout).toContain('deleted 1 failed job(s)');
    expect(await queue.getJob('order-9')).toBeUndefined();
    expect(await queue.getJobCountByTypes('completed')).toBe(2);
  });
});

describe('clean --limit above what one BullMQ call deletes (10,000)', () => {
  it('deletes exactly the limit, no more', async () => {
    const own = await startTestStores();
    const connection = createWorkerRedis(testRedisUrl());
    try {
      const queue = own.queue('payment-webhook');
      const total = 10_030;
      for (let first = 0; first < total; first += 2_000) {
        const ids = Array.from({ length: Math.min(2_000, total - first) }, (_, index) => first + index + 1);
        await queue.addBulk(ids.map((paymentEventId) => ({ name: 'test-job', data: { paymentEventId }, opts: { jobId: `payment-event-${paymentEventId}` } })));
      }
      const worker = new Worker(queue.name, async () => 'done', { connection, prefix: bullPrefix(own.config.redisKeyPrefix), concurrency: 200 });
      try {
        await vi.waitFor(async () => expect(await queue.getJobCountByTypes('completed')).toBe(total), { timeout: 60_000, interval: 200 });
      } finally {
        await worker.close();
      }

      const result = await runCli(own.config, ['clean', 'payment-webhook', '--state', 'completed', '--older-than', '0s', '--limit', '10010', '--yes']);
      expectExitCode(result, 0);
      expect(result.stdout).toContain('deleted 10010 completed job(s)');
      expect(await queue.getJobCountByTypes('completed')).toBe(20);
    } finally {
      await connection.quit();
      await own.close();
    }
  }, 120_000);
});

describe.concurrent('pause and resume', () => {
  it('a paused queue keeps its waiting job from a running worker; after resume the worker completes it', async () => {
    const queue = t.queue('hold-expiry');
    const paused = await runCli(t.config, ['pause', 'hold-expiry']);
    expectExitCode(paused, 0);
    expect(paused.stdout).toContain('paused hold-expiry');

    await queue.add('expire-hold', { holdId: 77 }, { jobId: 'hold-77' });
    const connection = createWorkerRedis(testRedisUrl());
    const worker = new Worker('hold-expiry', async () => 'expired', { connection, prefix: bullPrefix(t.config.redisKeyPrefix) });
    try {
      await worker.waitUntilReady();
      // The worker is polling throughout this CLI run (a second or more): a queue that was not
      // really paused would have handed it the job within milliseconds.
      const overviews = await runCliJson(t.config, ['queues']);
      const expiry = overviews.find((overview: { name: string }) => overview.name === 'hold-expiry');
      expect(expiry).toMatchObject({ paused: true, counts: { waiting: 1, paused: 1, active: 0, completed: 0 } });
      expect(await queue.getJobState('hold-77')).toBe('waiting');

      const resumed = await runCli(t.config, ['resume', 'hold-expiry']);
      expectExitCode(resumed, 0);
      expect(await queue.isPaused()).toBe(false);
      await vi.waitFor(
        async () => {
          if ((await queue.getJobState('hold-77')) !== 'completed') throw new Error('hold-77 is not completed yet');
        },
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      await worker.close();
      await connection.quit();
    }
  });
});
