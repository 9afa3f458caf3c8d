import { runCheckoutTransaction } from '../checkout-transaction.ts';
import { publishCommit } from '../after-commit.ts';
import type { Reporting } from '../batching/product-by-product.ts';
import type { CheckoutDeps } from '../deps.ts';
import { lockOrdersById, lockUnsettledPaymentEventsOfOrders, type LockedOrder, type LockedPaymentEvent } from '../lock-order.ts';
import type { ProductSnapshot } from '../products/product-snapshot.ts';
import { returnStockInBulk } from '../products/products-sql.ts';
import { recordPaymentEventOutcomes } from '../payments/payment-events-sql.ts';
import { finishPendingOrders } from './orders-sql.ts';
import { isPastPaymentDeadline } from './payment-deadline.ts';

// THE PAYMENT DEADLINE RULE. A payment result received (stored in MySQL) at or before an order's
// payment_due_at decides that order, whatever the order in which its webhook job and the timeout
// run, and however late the workers are: `success` pays it, `failure` cancels it with
// payment_failed. Only an order with no such result is cancelled with payment_timeout. So the
// timeout reads the order's unsettled events first (rank 1 in lock-order.ts, before the order)
// and, finding one received in time, applies it instead of cancelling.

export interface TimedOutOrders {
  /** Orders cancelled with payment_timeout by this call. */
  timedOut: LockedOrder[];
  /** Orders decided by a payment result received in time, applied here instead of the timeout. */
  decidedByPayment: { order: LockedOrder; event: LockedPaymentEvent }[];
  /** Pending orders whose deadline (plus the grace) has not passed yet. */
  notDue: LockedOrder[];
  snapshots: ProductSnapshot[];
}

type Deps = Pick<CheckoutDeps, 'db' | 'clock' | 'productCache' | 'logger' | 'metrics'>;

/**
 * The payment timeout for every order among `orderIds` that is still pending past its deadline,
 * in one transaction: payment events, orders, then products, each in one locking read, and one
 * grouped UPDATE per outcome. Safe to repeat in any number of processes. `skipLocked` (the
 * sweeper) leaves orders another transaction holds to it. With `reporting` it resolves at
 * commit, handing over the cache write-through and the counters under way (productByProduct).
 */
export async function timeOutOrders(
  deps: Deps,
  orderIds: number[],
  options: { by: 'job' | 'sweeper'; skipLocked: boolean; maxAttempts?: number; reporting?: Reporting },
): Promise<TimedOutOrders> {
  const result = await runCheckoutTransaction(deps, async (tx): Promise<TimedOutOrders> => {
    const now = deps.clock.now();
    const events = await lockUnsettledPaymentEventsOfOrders(tx, orderIds);
    const orders = await lockOrdersById(tx, orderIds, { skipLocked: options.skipLocked });
    const pending = orders.filter((order) => order.status === 'pending');
    const due = pending.filter((order) => isPastPaymentDeadline(order.paymentDueAt, now));
    const notDue = pending.filter((order) => !isPastPaymentDeadline(order.paymentDueAt, now));

    const timedOut: LockedOrder[] = [];
    const decidedByPayment: TimedOutOrders['decidedByPayment'] = [];
    for (const order of due) {
      // Events come ordered by received_at: the first result received in time decides.
      const event = events.find((each) => each.orderId === order.id && each.receivedAt.getTime() <= order.paymentDueAt.getTime());
      if (event) decidedByPayment.push({ order, event });
      else timedOut.push(order);
    }
    const paid = decidedByPayment.filter(({ event }) => event.result === 'success');
    const failed = decidedByPayment.filter(({ event }) => event.result === 'failure');

    // Stock first (the products' X locks), then the order rows: the FK rule in lock-order.ts.
    const snapshots = await returnStockInBulk(tx, [...timedOut, ...failed.map(({ order }) => order)]);
    await finishPendingOrders(tx, timedOut.map((order) => order.id), { status: 'cancelled', reason: 'payment_timeout' }, now);
    await finishPendingOrders(tx, failed.map(({ order }) => order.id), { status: 'cancelled', reason: 'payment_failed' }, now);
    await finishPendingOrders(tx, paid.map(({ order }) => order.id), { status: 'paid' }, now);
    await recordPaymentEventOutcomes(
      tx,
      decidedByPayment.map(({ event }) => ({
        id: event.id,
        outcome: 'applied',
        detail: event.result === 'success' ? 'order paid' : 'order cancelled (payment_failed)',
      })),
      now,
    );
    return { timedOut, decidedByPayment, notDue, snapshots };
  }, { maxAttempts: options.maxAttempts });

  const reported = publishCommit(deps, {
    count: () => {
      if (result.timedOut.length) deps.metrics.orderFinalized('cancelled', 'payment_timeout', result.timedOut.length);
      for (const { event } of result.decidedByPayment) {
        deps.metrics.orderFinalized(event.result === 'success' ? 'paid' : 'cancelled', event.result === 'success' ? null : 'payment_failed');
        deps.metrics.paymentEvent('applied');
      }
    },
    changes: [
      ...result.timedOut.map((order) => ({
        message: 'order cancelled',
        fields: { orderId: order.id, productId: order.productId, qty: order.qty, cancelReason: 'payment_timeout', by: options.by },
      })),
      ...result.decidedByPayment.map(({ order, event }) => ({
        message: 'payment event applied at the payment deadline: received in time, it decides the order',
        fields: { paymentEventId: event.id, orderId: order.id, outcome: 'applied', receivedAt: event.receivedAt, paymentDueAt: order.paymentDueAt, by: options.by },
      })),
    ],
    snapshots: result.snapshots,
  });
  if (options.reporting) options.reporting(reported);
  else await reported;
  return result;
}
