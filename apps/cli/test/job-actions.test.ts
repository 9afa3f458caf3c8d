import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStores, type TestStores } from '@flash-sale/testing';
import { finishJobs } from './support/finished-jobs.ts';
import { expectExitCode, runCli } from './support/run-cli.ts';

// retry, promote and remove act on single jobs; each test checks the job in Redis afterwards.
// Each test makes its own jobs, and only one test runs a worker on a given queue (finishJobs'
// worker would take any waiting job of its queue), so they pass in any order, and run
// concurrently.

let t: TestStores;

beforeAll(async () => {
  t = await startTestStores();
});

afterAll(async () => {
  await t?.close();
});

describe.concurrent('retry', () => {
  it('moves one failed job back to waiting, and exits 1 when it is no longer failed', async () => {
    const queue = t.queue('payment-webhook');
    await finishJobs(queue, t.config.redisKeyPrefix, [{ id: 'payment-event-1', data: { paymentEventId: 1 } }], 'failed');
    const retried = await runCli(t.config, ['retry', 'payment-webhook', 'payment-event-1']);
    expectExitCode(retried, 0);
    expect(retried.stdout).toContain('retried job payment-event-1 in payment-webhook: failed -> waiting');
    expect(await queue.getJobState('payment-event-1')).toBe('waiting');

    const again = await runCli(t.config, ['retry', 'payment-webhook', 'payment-event-1']);
    expectExitCode(again, 1);
    expect(again.stderr).toContain('is waiting, not failed');
  });

  it('--all-failed --yes retries every failed job', async () => {
    const queue = t.queue('order-timeout');
    await finishJobs(queue, t.config.redisKeyPrefix, [
      { id: 'order-1', data: { orderId: 1 } },
      { id: 'order-2', data: { orderId: 2 } },
    ], 'failed');
    const retried = await runCli(t.config, ['retry', 'order-timeout', '--all-failed', '--yes']);
    expectExitCode(retried, 0);
    expect(retried.stdout).toContain('retried 2 failed job(s)');
    expect(await queue.getJobCountByTypes('failed')).toBe(0);
    expect(await queue.getJobState('order-1')).toBe('waiting');
    expect(await queue.getJobState('order-2')).toBe('waiting');
  });
});

describe.concurrent('promote and remove', () => {
  it('promote moves a delayed job to waiting', async () => {
    const queue = t.queue('hold-expiry');
    await queue.add('expire-hold', { holdId: 41 }, { jobId: 'hold-41', delay: 3_600_000 });
    const promoted = await runCli(t.config, ['promote', 'hold-expiry', 'hold-41']);
    expectExitCode(promoted, 0);
    expect(promoted.stdout).toContain('promoted job hold-41 in hold-expiry: delayed -> waiting');
    expect(await queue.getJobState('hold-41')).toBe('waiting');
  });

  it('remove refuses without --yes off a terminal, and deletes the job with it', async () => {
    const queue = t.queue('hold-expiry');
    await queue.add('expire-hold', { holdId: 42 }, { jobId: 'hold-42', delay: 3_600_000 });
    const refused = await runCli(t.config, ['remove', 'hold-expiry', 'hold-42']);
    expectExitCode(refused, 2);
    expect(refused.stderr).toContain('--yes');
    expect(await queue.getJob('hold-42')).toBeDefined();

    const removed = await runCli(t.config, ['remove', 'hold-expiry', 'hold-42', '--yes']);
    expectExitCode(removed, 0);
    expect(removed.stdout).toContain('removed job hold-42 (delayed) from hold-expiry');
    expect(await queue.getJob('hold-42')).toBeUndefined();
  });

  it("remove of a job scheduler's next run is a finding (exit 1), and the job stays", async () => {
    const queue = t.queue('hold-expiry');
    // A scheduler as an operator (or an older version's sweeper) may have left; no worker runs,
    // so its first run stays put.
    await queue.upsertJobScheduler('nightly', { every: 3_600_000 }, { name: 'nightly', data: {} });
    const [next] = (await queue.getJobs(['delayed', 'waiting'])).filter((job) => job.id?.startsWith('repeat:nightly:'));
    expect(next).toBeDefined();

    const result = await runCli(t.config, ['remove', 'hold-expiry', next!.id!, '--yes']);
    expectExitCode(result, 1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining("the job scheduler 'nightly'")]);
    expect(result.stderr).toContain('it was not removed');
    expect(await queue.getJob(next!.id!)).toBeDefined();
  });
});
