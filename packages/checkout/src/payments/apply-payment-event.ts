import type { Tx } from '@flash-sale/db';
import { runCheckoutTransaction } from '../checkout-transaction.ts';
import { publishCommit } from '../after-commit.ts';
import type { CheckoutDeps } from '../deps.ts';
import { lockOrder, lockPaymentEventsById, type LockedOrder, type LockedPaymentEvent } from '../lock-order.ts';
import { cancelPendingOrder } from '../orders/cancel-order.ts';
import { finishPendingOrders } from '../orders/orders-sql.ts';
import { isPastPaymentDeadline } from '../orders/payment-deadline.ts';
import { timeOutOrders } from '../orders/time-out-orders.ts';
import type { FinalOrderStatus } from '../orders/order-view.ts';
import type { ProductSnapshot } from '../products/product-snapshot.ts';
import { recordPaymentEventOutcomes } from './payment-events-sql.ts';

import type { PaymentEventOutcome } from '@flash-sale/db';

export type { PaymentEventOutcome };

/**
 * A payment event that cannot be applied yet, and is kept to be tried again later: its order does
 * not exist yet, or it was received after its order's deadline, which is still within its grace
 * (a result received in time may still be landing).
 */
export class PaymentEventDeferredError extends Error {
  override name = 'PaymentEventDeferredError';
  constructor(
    readonly paymentEventId: number,
    readonly orderId: number,
    readonly waitsFor: 'order' | 'payment_deadline',
  ) {
    super(
      waitsFor === 'order'
        ? `Order ${orderId} of payment event ${paymentEventId} does not exist yet; the event waits for it.`
        : `Payment event ${paymentEventId} was received after order ${orderId}'s payment deadline; it waits for the deadline's grace to pass, then the timeout decides.`,
    );
  }
}

export type ApplyPaymentEventResult =
  | (Recorded & { orderId: number })
  | { outcome: 'already_processed' | 'not_found' };

type Recorded = {
  /** The event this is the outcome of. */
  eventId: number;
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
 *
 * Of two results for one pending order, the first received decides, whichever job runs first:
 * the order's unsettled events are locked together and the earliest received is applied before
 * this one is judged against the state it left. The payment timeout
 * decides by the same rule (orders/time-out-orders.ts), so a late worker changes nothing.
 */
export async function applyPaymentEvent(
  deps: Pick<CheckoutDeps, 'db' | 'clock' | 'productCache' | 'logger' | 'settings' | 'metrics'>,
  paymentEventId: number,
): Promise<ApplyPaymentEventResult> {
  // A plain read: the event's order and received_at never change, and its outcome is read again
  // under its lock below.
  const stored = await deps.db.paymentEvent.findUnique({ where: { id: paymentEventId }, select: { orderId: true, receivedAt: true, outcome: true } });
  if (!stored) return { outcome: 'not_found' };
  if (stored.outcome !== null) return { outcome: 'already_processed' };
  await timeOutFirstIfLate(deps, paymentEventId, stored);
  const result = await runCheckoutTransaction(deps, async (tx): Promise<(ApplyPaymentEventResult & { earlier?: Recorded }) | { deferred: number }> => {
    // The order's other unsettled events, by a plain read; they are then locked by primary key
    // (rank 1) and read again under the lock. An event stored meanwhile, but received earlier
    // (its INSERT was still on its way), is missed: it then finds the order decided, and is a
    // conflict. The receive path bounds that window (it gives up on a store that took half the
    // grace).
    const candidates = await tx.paymentEvent.findMany({ where: { orderId: stored.orderId, outcome: null }, select: { id: true } });
    const unsettled = (await lockPaymentEventsById(tx, [...new Set([paymentEventId, ...candidates.map(({ id }) => id)])]))
      .filter((each) => each.outcome === null)
      .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.id - b.id);
    const event = unsettled.find((each) => each.id === paymentEventId);
    if (!event) return { outcome: 'already_processed' };
    const now = deps.clock.now();

    // A plain read first: a locking read of a missing row would take a gap lock that blocks
    // every order insert until this transaction ends.
    const exists = await tx.order.findUnique({ where: { id: event.orderId }, select: { id: true } });
    const order = exists ? await lockOrder(tx, event.orderId) : undefined;
    let recorded: Recorded;
    let earlier: Recorded | undefined;
    if (order?.status === 'pending') {
      // Every result still unsettled for a pending order was received in time (a late one has
      // had the timeout run first, timeOutFirstIfLate), so the earliest received decides.
      const first = unsettled[0]!;
      earlier = first === event ? undefined : await applyToPending(tx, first, order, now);
      recorded = earlier ? judgeAgainstFinal(event, earlier.finalized!.status, earlier.finalized!.reason) : await applyToPending(tx, event, order, now);
    } else if (order) {
      recorded = judgeAgainstFinal(event, order.status, order.cancelReason);
    } else if (now.getTime() - event.receivedAt.getTime() >= deps.settings.webhookOrphanAfterSeconds * 1000) {
      recorded = { eventId: event.id, outcome: 'orphaned', detail: `order ${event.orderId} never appeared` };
    } else {
      return { deferred: event.orderId };
    }
    const outcomes = earlier ? [earlier, recorded] : [recorded];
    await recordPaymentEventOutcomes(tx, outcomes.map(({ eventId, outcome, detail }) => ({ id: eventId, outcome, detail })), now);
    return { ...recorded, orderId: event.orderId, earlier };
  });

  if ('deferred' in result) throw new PaymentEventDeferredError(paymentEventId, result.deferred, 'order');
  if (!('orderId' in result)) return result;
  const { earlier, ...applied } = result;
  const outcomes = earlier ? [earlier, applied] : [applied];
  const snapshots = outcomes.flatMap(({ snapshot }) => (snapshot ? [snapshot] : []));
  await publishCommit(deps, {
    count: () => {
      for (const { outcome, finalized } of outcomes) {
        deps.metrics.paymentEvent(outcome);
        if (finalized) deps.metrics.orderFinalized(finalized.status, finalized.reason);
      }
    },
    changes: outcomes.map(({ eventId, outcome, detail }) => ({
      message: `payment event ${outcome}`,
      fields: { paymentEventId: eventId, orderId: result.orderId, outcome, detail, ...(eventId !== paymentEventId ? { receivedBefore: paymentEventId } : {}) },
      level: outcome === 'conflict' || outcome === 'orphaned' ? 'warn' : 'info',
    })),
    snapshots,
  });
  return applied;
}

/**
 * A result received after its order's payment deadline does not decide the order (the payment
 * deadline rule in orders/time-out-orders.ts): the order times out, unless a result received in
 * time decides it, and this one is then recorded against that final state. So the timeout runs
 * first, through its own path, which sees every result of the order; whichever job comes first,
 * the outcome is the same. Plain reads here; the timeout and the apply lock what they need.
 */
async function timeOutFirstIfLate(
  deps: Parameters<typeof timeOutOrders>[0],
  paymentEventId: number,
  event: { orderId: number; receivedAt: Date },
): Promise<void> {
  const order = await deps.db.order.findUnique({ where: { id: event.orderId }, select: { status: true, paymentDueAt: true } });
  if (order?.status !== 'pending' || event.receivedAt.getTime() <= order.paymentDueAt.getTime()) return;
  // Within the grace a result received in time may still be landing: wait for the timeout's turn.
  if (!isPastPaymentDeadline(order.paymentDueAt, deps.clock.now())) throw new PaymentEventDeferredError(paymentEventId, event.orderId, 'payment_deadline');
  await timeOutOrders(deps, [event.orderId], { by: 'job', skipLocked: false });
}

/** The result decides the pending order: paid, or cancelled with its stock back. */
async function applyToPending(tx: Tx, event: LockedPaymentEvent, order: LockedOrder, now: Date): Promise<Recorded> {
  if (event.result === 'success') {
    await finishPendingOrders(tx, [order.id], { status: 'paid' }, now);
    return { eventId: event.id, outcome: 'applied', detail: 'order paid', finalized: { status: 'paid', reason: null } };
  }
  const snapshot = await cancelPendingOrder(tx, order, 'payment_failed', now);
  return { eventId: event.id, outcome: 'applied', detail: 'order cancelled (payment_failed)', finalized: { status: 'cancelled', reason: 'payment_failed' }, snapshot };
}

/** The result of an order already final: it agrees with that state, or conflicts with it. */
function judgeAgainstFinal(event: LockedPaymentEvent, status: FinalOrderStatus, cancelReason: string | null): Recorded {
  const finalState = status === 'cancelled' ? `cancelled (${cancelReason})` : 'paid';
  const agrees = (status === 'paid') === (event.result === 'success');
  if (agrees) return { eventId: event.id, outcome: 'ignored_duplicate_state', detail: `order already ${finalState}` };
  return { eventId: event.id, outcome: 'conflict', detail: `payment ${event.result} for an order already ${finalState}` };
}
