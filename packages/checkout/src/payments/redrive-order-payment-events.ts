import type { CheckoutDeps } from '../deps.ts';

/**
 * A webhook can arrive before its order exists; its job then waits with backoff. When the order
 * appears, its waiting events are run at once instead of at their next retry. Best effort: the
 * retries and the sweeper still cover a failure here.
 */
export async function redriveOrderPaymentEvents(deps: Pick<CheckoutDeps, 'db' | 'jobs' | 'logger'>, orderId: number): Promise<void> {
  try {
    const events = await deps.db.paymentEvent.findMany({ where: { orderId, outcome: null }, select: { id: true } });
    for (const event of events) {
      const action = await deps.jobs.runSoon('payment-webhook', { paymentEventId: event.id }, { promoteDelayed: true });
      deps.logger.info({ paymentEventId: event.id, orderId, action }, 'early payment event re-driven for its new order');
    }
  } catch (error) {
    deps.logger.warn({ err: error, orderId }, 'could not re-drive early payment events; their retries will');
  }
}
