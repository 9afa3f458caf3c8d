import { DelayedError, type Job } from 'bullmq';

/**
 * A job that ran early (clocks of two hosts disagree, or BullMQ's timer fired a little soon) is
 * put back to run at `at`, without counting as a failed attempt.
 */
export async function runAgainAt(job: Job, token: string | undefined, at: Date): Promise<never> {
  await job.moveToDelayed(at.getTime() + 50, token);
  throw new DelayedError();
}
