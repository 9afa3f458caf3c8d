import type { Tx } from '@flash-sale/db';
import { runCheckoutTransaction } from '../checkout-transaction.ts';
import { publishCommit } from '../after-commit.ts';
import type { CheckoutDeps } from '../deps.ts';
import { lockOrder, lockPaymentEvent, type LockedOrder, type LockedPaymentEvent } from '../lock-order.ts';
import { cancelPendingOrder } from '../orders/cancel-order.ts';
import { finishPendingOrders } from '../orders/orders-sql.ts';
import { isPastPaymentDeadline } from '../orders/payment-deadline.ts';
import { timeOutOrders } from '../orders/time-out-orders.ts';
import type { FinalOrderStatus } from '../orders/order-view.ts';
import type { ProductSnapshot } from '../products/product-snapshot.ts';
import { recordPaymentEventOutcomes } from './payment-events-sql.ts';

import type { PaymentEventOutcome } from '@flash-sale/db';

export type { PaymentEventOutcome };

/** The order of a payment event does not exist yet: try again later (the event is kept). */
export class PaymentEventDeferredError extends Error {
  override name = 'PaymentEventDeferredError';
  constructor(readonly paymentEventId: number, readonly orderId: number) {
    super(`Order ${orderId} of payment event ${paymentEventId} does not exist yet; the event waits for it.`);
  }
}

export type ApplyPaymentEventResult =
  | (Recorded & { orderId: number })
  | { outcome: 'already_processed' | 'not_found' };

type Recorded = {
  outcome: PaymentEventOutcome;
  detail: string | null;
  /** The final state the order reached through this event, when it was applied. */
  finalized?: { status: FinalOrderStatus; reason: 'payment_failed' | null };
  snapshot?: ProductSnapshot;
};

/**
 * Applies a stored payment result to its order, once: the event's row lock and its recorded
 * outcome make a repeated or concurrent run a no-op. Every event ends in exactly one outcome:
 * applied, ignored_duplicate_state (the order is already in that final state), conflict (the
 * result contradicts a final state, e.g. success after a cancellation) or orphaned (its order
 * never appeared within WEBHOOK_ORPHAN_AFTER_SECONDS). Until then, a missing order defers it.
 */
export async function applyPaymentEvent(
  deps: Pick<CheckoutDeps, 'db' | 'clock' | 'productCache' | 'logger' | 'settings' | 'metrics'>,
  paymentEventId: number,
): Promise<ApplyPaymentEventResult> {
  await timeOutFirstIfLate(deps, paymentEventId);
  const result = await runCheckoutTransaction(deps, async (tx): Promise<ApplyPaymentEventResult | { deferred: number }> => {
    const event = await lockPaymentEvent(tx, paymentEventId);
    if (!event) return { outcome: 'not_found' };
    if (event.outcome !== null) return { outcome: 'already_processed' };
    const now = deps.clock.now();

    // A plain read first: a locking read of a missing row would take a gap lock that blocks
    // every order insert until this transaction ends.
    const exists = await tx.order.findUnique({ where: { id: event.orderId }, select: { id: true } });
    const order = exists ? await lockOrder(tx, event.orderId) : undefined;
    let recorded: Recorded;
    if (order) {
      recorded = await settle(tx, event, order);
    } else if (now.getTime() - event.receivedAt.getTime() >= deps.settings.webhookOrphanAfterSeconds * 1000) {
      recorded = { outcome: 'orphaned', detail: `order ${event.orderId} never appeared` };
    } else {
      return { deferred: event.orderId };
    }
    await recordPaymentEventOutcomes(tx, [{ id: event.id, outcome: recorded.outcome, detail: recorded.detail }], now);
    return { ...recorded, orderId: event.orderId };
  });

  if ('deferred' in result) throw new PaymentEventDeferredError(paymentEventId, result.deferred);
  if ('orderId' in result) {
    const { finalized, outcome } = result;
    await publishCommit(deps, {
      count: () => {
        deps.metrics.paymentEvent(outcome);
        if (finalized) deps.metrics.orderFinalized(finalized.status, finalized.reason);
      },
      changes: [
        {
          message: `payment event ${outcome}`,
          fields: { paymentEventId, orderId: result.orderId, outcome, detail: result.detail },
          level: outcome === 'conflict' || outcome === 'orphaned' ? 'warn' : 'info',
        },
      ],
      snapshots: result.snapshot ? [result.snapshot] : [],
    });
  }
  return result;
}

/**
 * A result received after its order's payment deadline does not decide the order (the payment
 * deadline rule in orders/time-out-orders.ts): the order times out, unless a result received in
 * time decides it, and this one is then recorded against that final state. So the timeout runs
 * first, through its own path, which sees every result of the order; whichever job comes first,
 * the outcome is the same. Plain reads here; the timeout and the apply lock what they need.
 */
async function timeOutFirstIfLate(deps: Parameters<typeof timeOutOrders>[0], paymentEventId: number): Promise<void> {
  const event = await deps.db.paymentEvent.findUnique({ where: { id: paymentEventId }, select: { orderId: true, receivedAt: true, outcome: true } });
  if (!event || event.outcome !== null) return;
  const order = await deps.db.order.findUnique({ where: { id: event.orderId }, select: { status: true, paymentDueAt: true } });
  if (order?.status !== 'pending' || event.receivedAt.getTime() <= order.paymentDueAt.getTime()) return;
  // Within the grace a result received in time may still be landing: wait for the timeout's turn.
  if (!isPastPaymentDeadline(order.paymentDueAt, deps.clock.now())) throw new PaymentEventDeferredError(paymentEventId, event.orderId);
  await timeOutOrders(deps, [event.orderId], { by: 'job', skipLocked: false });
}

async function settle(tx: Tx, event: LockedPaymentEvent, order: LockedOrder): Promise<Recorded> {
  if (order.status === 'pending') {
    if (event.result === 'success') {
      await finishPendingOrders(tx, [order.id], { status: 'paid' });
      return { outcome: 'applied', detail: 'order paid', finalized: { status: 'paid', reason: null } };
    }
    const snapshot = await cancelPendingOrder(tx, order, 'payment_failed');
    return { outcome: 'applied', detail: 'order cancelled (payment_failed)', finalized: { status: 'cancelled', reason: 'payment_failed' }, snapshot };
  }
  const finalState = order.status === 'cancelled' ? `cancelled (${order.cancelReason})` : 'paid';
  const agrees = (order.status === 'paid') === (event.result === 'success');
  if (agrees) return { outcome: 'ignored_duplicate_state', detail: `order already ${finalState}` };
  return { outcome: 'conflict', detail: `payment ${event.result} for an order already ${finalState}` };
}
