import type { Job } from 'bullmq';
import { expireHold, type CheckoutDeps } from '@flash-sale/checkout';
import { payloadOf } from './job-payload.ts';
import { runAgainAt } from './reschedule.ts';

/** The hold-expiry queue: one delayed job per hold, due at its expires_at. */
export function holdExpiryProcessor(deps: CheckoutDeps) {
  return async (job: Job, token?: string): Promise<unknown> => {
    const { holdId } = payloadOf('hold-expiry', job);
    const result = await expireHold(deps, holdId);
    if (result.outcome === 'not_due') return runAgainAt(job, token, result.expiresAt);
    return { outcome: result.outcome };
  };
}
