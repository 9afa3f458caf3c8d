import type { Job } from 'bullmq';
import type { HoldExpiryBatcher } from '@flash-sale/checkout';
import { payloadOf } from './job-payload.ts';
import { runAgainAt } from './reschedule.ts';

/**
 * The hold-expiry queue: one delayed job per hold, due at its expires_at. The jobs that run at
 * once share one expiry batch (and sweep along the other due holds of their products).
 */
export function holdExpiryProcessor(expiry: HoldExpiryBatcher) {
  return async (job: Job, token?: string): Promise<unknown> => {
    const { holdId } = payloadOf('hold-expiry', job);
    const result = await expiry.expire(holdId);
    if (result.outcome === 'not_due') return runAgainAt(job, token, result.expiresAt);
    return { outcome: result.outcome };
  };
}
