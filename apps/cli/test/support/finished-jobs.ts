import { bullPrefix, createWorkerRedis } from '@flash-sale/queues';
import { testRedisUrl } from '@flash-sale/testing';
import { Worker, type Queue } from 'bullmq';
import { vi } from 'vitest';

export const FAILURE_MESSAGE = 'test processor refused the job';

/**
 * Adds jobs and runs them through a short-lived worker (one attempt each) that completes or
 * fails them, then stops it. There is no other way to get finished jobs than to process them.
 * Nothing else must be waiting on the queue: the worker would take it too.
 */
export async function finishJobs(
  queue: Queue,
  keyPrefix: string,
  jobs: { id: string; data: Record<string, unknown> }[],
  outcome: 'completed' | 'failed',
): Promise<void> {
  for (const job of jobs) await queue.add('test-job', job.data, { jobId: job.id, attempts: 1 });
  const connection = createWorkerRedis(testRedisUrl());
  const worker = new Worker(
    queue.name,
    async (job) => {
      await job.log(`processing ${job.id}`);
      if (outcome === 'failed') throw new Error(FAILURE_MESSAGE);
      return { processed: job.id };
    },
    { connection, prefix: bullPrefix(keyPrefix) },
  );
  try {
    await vi.waitFor(
      async () => {
        const states = await Promise.all(jobs.map((job) => queue.getJobState(job.id)));
        if (!states.every((state) => state === outcome)) throw new Error(`jobs are ${states.join(', ')}, not all ${outcome}`);
      },
      { timeout: 10_000, interval: 50 },
    );
  } finally {
    await worker.close();
    // A connection passed in is the caller's to close; the worker leaves it open.
    await connection.quit();
  }
}
