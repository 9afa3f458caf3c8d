import type { Job } from 'bullmq';
import { expireHold, sweep, type CheckoutDeps } from '@flash-sale/checkout';
import { sweeperJob } from '@flash-sale/queues';
import { payloadOf } from './job-payload.ts';
import { runAgainAt } from './reschedule.ts';

/** The hold-expiry queue: one delayed job per hold, plus the repeatable sweep. */
export function holdExpiryProcessor(deps: CheckoutDeps) {
  return async (job: Job, token?: string): Promise<unknown> => {
    if (job.name === sweeperJob.jobName) return sweep(deps);
    const { holdId } = payloadOf('hold-expiry', job);
    const result = await expireHold(deps, holdId);
    if (result.outcome === 'not_due') return runAgainAt(job, token, result.expiresAt);
    return { outcome: result.outcome };
  };
}
