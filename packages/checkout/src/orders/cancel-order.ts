import type { Tx } from '@flash-sale/db';
import type { CheckoutDeps } from '../deps.ts';
import type { LockedOrder } from '../lock-order.ts';
import type { ProductSnapshot } from '../products/product-snapshot.ts';
import { returnStock } from '../products/products-sql.ts';
import type { CancelReason, FinalOrderStatus } from './order-view.ts';
import { finishPendingOrders } from './orders-sql.ts';
import { paymentTimeoutAt } from './payment-deadline.ts';
import { timeOutOrders } from './time-out-orders.ts';

/**
 * Inside a transaction holding the order's lock: cancels a pending order and gives its qty back.
 * The caller has checked that the order is pending, so stock returns exactly once.
 */
export async function cancelPendingOrder(tx: Tx, order: LockedOrder, reason: CancelReason, at: Date): Promise<ProductSnapshot> {
  // Product X lock first, then the order row (see the FK rule in lock-order.ts).
  const snapshot = await returnStock(tx, order.productId, order.qty);
  await finishPendingOrders(tx, [order.id], { status: 'cancelled', reason }, at);
  return snapshot;
}

export type CancelUnpaidOrderResult =
  | { outcome: 'cancelled'; snapshot: ProductSnapshot }
  | { outcome: 'decided_by_payment'; status: FinalOrderStatus }
  | { outcome: 'not_found' | 'not_pending' }
  | { outcome: 'not_due'; dueAt: Date };

/**
 * One order's payment-timeout job: timeOutOrders for that order, told as one outcome. A result
 * received in time decides the order instead (see the payment deadline rule).
 */
export async function cancelUnpaidOrder(
  deps: Pick<CheckoutDeps, 'db' | 'clock' | 'productCache' | 'logger' | 'metrics'>,
  orderId: number,
): Promise<CancelUnpaidOrderResult> {
  const { timedOut, decidedByPayment, notDue, snapshots } = await timeOutOrders(deps, [orderId], { by: 'job', skipLocked: false });
  if (timedOut.length === 1) return { outcome: 'cancelled', snapshot: snapshots[0]! };
  const decided = decidedByPayment[0];
  if (decided) return { outcome: 'decided_by_payment', status: decided.event.result === 'success' ? 'paid' : 'cancelled' };
  if (notDue.length === 1) return { outcome: 'not_due', dueAt: paymentTimeoutAt(notDue[0]!.paymentDueAt) };
  const exists = await deps.db.order.count({ where: { id: orderId } });
  return { outcome: exists ? 'not_pending' : 'not_found' };
}
