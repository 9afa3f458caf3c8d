import { Queue, Worker } from 'bullmq';
import { bullPrefix, createWorkerRedis } from '@flash-sale/queues';
import { startTestStores, testRedisUrl, type TestStores } from '@flash-sale/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listJobs } from '../src/queue-ops/list-jobs.ts';
import { FAILURE_MESSAGE, finishJobs } from './support/finished-jobs.ts';
import { expectExitCode, runCli, runCliJson } from './support/run-cli.ts';

// `queues`, `jobs` and `job`: what they report is what the test put on the queues. They only
// read, so the tests run concurrently.

let t: TestStores;
const HOUR = 3_600_000;

beforeAll(async () => {
  t = await startTestStores();
  const webhooks = t.queue('payment-webhook');
  await finishJobs(webhooks, t.config.redisKeyPrefix, [
    { id: 'payment-event-901', data: { paymentEventId: 901 } },
    { id: 'payment-event-902', data: { paymentEventId: 902 } },
  ], 'failed');
  const expiry = t.queue('hold-expiry');
  for (const holdId of [1, 2, 3]) await expiry.add('expire-hold', { holdId }, { jobId: `hold-${holdId}`, delay: HOUR });
  await t.queue('order-timeout').add('timeout-order', { orderId: 7 }, { jobId: 'order-7' });
});

afterAll(async () => {
  await t?.close();
});

describe.concurrent('queues', () => {
  it('--json counts every queue by state, as enqueued', async () => {
    const queues = await runCliJson<{ name: string; paused: boolean; counts: Record<string, number> }[]>(t.config, ['queues']);
    const byName = Object.fromEntries(queues.map((queue) => [queue.name, queue]));
    expect(Object.keys(byName).sort()).toEqual(['hold-expiry', 'order-timeout', 'payment-webhook']);
    expect(byName['payment-webhook']).toMatchObject({ paused: false, counts: { failed: 2, waiting: 0, delayed: 0, completed: 0, active: 0 } });
    expect(byName['hold-expiry']).toMatchObject({ paused: false, counts: { delayed: 3, waiting: 0, failed: 0 } });
    expect(byName['order-timeout']).toMatchObject({ paused: false, counts: { waiting: 1, delayed: 0, failed: 0, paused: 0 } });
  });

  it('prints a table without --json', async () => {
    const result = await runCli(t.config, ['queues']);
    expectExitCode(result, 0);
    expect(result.stdout).toMatch(/payment-webhook\s+│\s+running\s+│/);
    // Piped output carries no colour codes.
    expect(result.stdout).not.toContain('\x1b[');
  });
});

describe.concurrent('jobs', () => {
  it('--state failed lists the failed jobs with their reason', async () => {
    const page = await runCliJson(t.config, ['jobs', 'payment-webhook', '--state', 'failed']);
    expect(page.total).toBe(2);
    expect(page.jobs.map((job: { id: string }) => job.id).sort()).toEqual(['payment-event-901', 'payment-event-902']);
    expect(page.jobs[0]).toMatchObject({ state: 'failed', attemptsMade: 1, maxAttempts: 1, failedReason: FAILURE_MESSAGE });
  });

  it('pages through delayed jobs, soonest due first, with the delay left', async () => {
    const page = await runCliJson(t.config, ['jobs', 'hold-expiry', '--state', 'delayed', '--limit', '2', '--page', '2']);
    expect(page).toMatchObject({ total: 3, page: 2, limit: 2 });
    expect(page.jobs.map((job: { id: string }) => job.id)).toEqual(['hold-3']);
    expect(page.jobs[0].delayLeftMs).toBeGreaterThan(HOUR - 60_000);
    expect(page.jobs[0].delayLeftMs).toBeLessThanOrEqual(HOUR);
  });

  it('reads only the variables it uses: a bad HOLD_TTL_SECONDS is ignored, a bad REDIS_URL is one line and exit code 2', async () => {
    const [unrelated, own] = await Promise.all([
      runCli(t.config, ['queues', '--json'], { HOLD_TTL_SECONDS: '0', PAYMENT_WEBHOOK_SECRET: 'short', NODE_ENV: 'production' }),
      runCli(t.config, ['queues', '--json'], { REDIS_URL: 'http://nope' }),
    ]);
    expectExitCode(unrelated, 0);
    expectExitCode(own, 2);
    expect(own.stderr.trim().split('\n')).toEqual([expect.stringContaining('Invalid configuration: REDIS_URL')]);
  });

  it('refuses an unknown queue or state with exit code 2', async () => {
    const [unknownQueue, unknownState] = await Promise.all([
      runCli(t.config, ['jobs', 'no-such-queue']),
      runCli(t.config, ['jobs', 'hold-expiry', '--state', 'sleeping']),
    ]);
    expectExitCode(unknownQueue, 2);
    expect(unknownQueue.stderr).toContain("unknown queue 'no-such-queue'");
    expect(unknownQueue.stdout).toBe('');
    expectExitCode(unknownState, 2);
  });
});

describe.concurrent('job', () => {
  it('--json shows data, failed reason, attempts, stacktrace, logs and timestamps', async () => {
    const job = await runCliJson(t.config, ['job', 'payment-webhook', 'payment-event-901']);
    expect(job).toMatchObject({
      queue: 'payment-webhook',
      id: 'payment-event-901',
      state: 'failed',
      data: { paymentEventId: 901 },
      failedReason: FAILURE_MESSAGE,
      attemptsMade: 1,
      logs: ['processing payment-event-901'],
    });
    expect(job.stacktrace[0]).toContain(FAILURE_MESSAGE);
    expect(job.options).toMatchObject({ attempts: 1 });
    expect(Date.parse(job.timestamps.finished)).toBeGreaterThanOrEqual(Date.parse(job.timestamps.created));
  });

  it('prints the details as text, and exits 1 for a job that does not exist', async () => {
    const [text, missing] = await Promise.all([
      runCli(t.config, ['job', 'payment-webhook', 'payment-event-902']),
      runCli(t.config, ['job', 'payment-webhook', 'payment-event-404']),
    ]);
    expectExitCode(text, 0);
    expect(text.stdout).toContain(FAILURE_MESSAGE);
    expect(text.stdout).toContain('"paymentEventId": 902');
    expectExitCode(missing, 1);
    expect(missing.stderr).toContain("no job 'payment-event-404'");
  });
});

describe('a job waiting out a retry backoff', () => {
  it('is due its backoff after the attempt that failed, read from BullMQ\'s public job fields', async () => {
    const connections = [createWorkerRedis(testRedisUrl()), createWorkerRedis(testRedisUrl())];
    // A queue of its own, so the counts the other tests assert do not move.
    const queue = new Queue('backoff-test', { connection: connections[0]!, prefix: bullPrefix(t.config.redisKeyPrefix) });
    let failedAt = 0;
    const worker = new Worker('backoff-test', async () => {
      failedAt = Date.now();
      throw new Error('try again later');
    }, { connection: connections[1]!, prefix: bullPrefix(t.config.redisKeyPrefix) });
    try {
      const added = Date.now();
      // First attempt 1.5 s after it was added, so "from the attempt" and "from when it was added"
      // differ by more than the margin below.
      await queue.add('job', {}, { jobId: 'retried', delay: 1_500, attempts: 2, backoff: { type: 'fixed', delay: HOUR } });
      await vi.waitFor(() => expect(failedAt).toBeGreaterThan(0), { timeout: 10_000, interval: 20 });
      await vi.waitFor(async () => expect(await queue.getJobState('retried')).toBe('delayed'), { timeout: 10_000, interval: 20 });
      const page = await listJobs(queue, { state: 'delayed', limit: 10, page: 1, now: Date.now() });
      expect(page.jobs).toHaveLength(1);
      const dueAt = page.jobs[0]!.dueAt!;
      // Counted from the failed attempt (not from when the job was added): at most that attempt's run time early.
      expect(dueAt).toBeGreaterThan(added + 1_500 + HOUR - 1);
      expect(dueAt).toBeLessThanOrEqual(failedAt + HOUR);
      expect(failedAt + HOUR - dueAt).toBeLessThan(1_000);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      for (const connection of connections) connection.disconnect();
    }
  });
});
