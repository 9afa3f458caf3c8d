import type { Job } from 'bullmq';
import { applyPaymentEvent, type CheckoutDeps } from '@flash-sale/checkout';
import { payloadOf } from './job-payload.ts';

/**
 * The payment-webhook queue: applies a stored event to its order. An event whose order does not
 * exist yet throws PaymentEventDeferredError, so BullMQ retries it with backoff until the order
 * appears or the event is old enough to be orphaned.
 */
export function paymentWebhookProcessor(deps: CheckoutDeps) {
  return async (job: Job): Promise<unknown> => {
    const { paymentEventId } = payloadOf('payment-webhook', job);
    const result = await applyPaymentEvent(deps, paymentEventId);
    return 'orderId' in result ? { outcome: result.outcome, detail: result.detail } : { outcome: result.outcome };
  };
}
