import type { Job } from 'bullmq';
import { cancelUnpaidOrder, type CheckoutDeps } from '@flash-sale/checkout';
import { payloadOf } from './job-payload.ts';
import { runAgainAt } from './reschedule.ts';

/** The order-timeout queue: cancels an order still pending at its payment deadline. */
export function orderTimeoutProcessor(deps: CheckoutDeps) {
  return async (job: Job, token?: string): Promise<unknown> => {
    const { orderId } = payloadOf('order-timeout', job);
    const result = await cancelUnpaidOrder(deps, orderId);
    if (result.outcome === 'not_due') return runAgainAt(job, token, result.dueAt);
    return { outcome: result.outcome };
  };
}
