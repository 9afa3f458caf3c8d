import { runTransaction, type Tx } from '@flash-sale/db';
import type { CheckoutDeps } from '../deps.ts';
import { lockOrder, type LockedOrder } from '../lock-order.ts';
import type { ProductSnapshot } from '../products/product-snapshot.ts';
import { returnStock } from '../products/stock.ts';
import type { CancelReason } from './order-view.ts';

/**
 * Inside a transaction holding the order's lock: cancels a pending order and gives its qty back.
 * The caller has checked that the order is pending, so stock returns exactly once.
 */
export async function cancelPendingOrder(tx: Tx, order: LockedOrder, reason: CancelReason): Promise<ProductSnapshot> {
  // Product X lock first, then the order row (see the FK rule in lock-order.ts).
  const snapshot = await returnStock(tx, order.productId, order.qty);
  await tx.$executeRaw`
    UPDATE orders SET status = 'cancelled', cancel_reason = ${reason}, updated_at = NOW(3)
    WHERE id = ${order.id} AND status = 'pending'`;
  return snapshot;
}

export type CancelUnpaidOrderResult =
  | { outcome: 'cancelled'; snapshot: ProductSnapshot }
  | { outcome: 'not_found' | 'not_pending' }
  | { outcome: 'not_due'; dueAt: Date };

/**
 * The payment timeout: a still-pending order past its payment_due_at is cancelled with
 * payment_timeout and its stock returns. Safe to run any number of times in any number of
 * processes; a paid or already cancelled order is left alone.
 */
export async function cancelUnpaidOrder(
  deps: Pick<CheckoutDeps, 'db' | 'clock' | 'productCache' | 'logger' | 'metrics'>,
  orderId: number,
): Promise<CancelUnpaidOrderResult> {
  const result = await runTransaction(deps.db, async (tx): Promise<CancelUnpaidOrderResult> => {
    const order = await lockOrder(tx, orderId);
    if (!order) return { outcome: 'not_found' };
    if (order.status !== 'pending') return { outcome: 'not_pending' };
    if (order.paymentDueAt > deps.clock.now()) return { outcome: 'not_due', dueAt: order.paymentDueAt };
    return { outcome: 'cancelled', snapshot: await cancelPendingOrder(tx, order, 'payment_timeout') };
  });
  if (result.outcome === 'cancelled') {
    await deps.productCache.writeThrough(result.snapshot);
    deps.metrics.orderFinalized('cancelled', 'payment_timeout');
    deps.logger.info({ orderId, productId: result.snapshot.id, availableStock: result.snapshot.availableStock, cancelReason: 'payment_timeout' }, 'order cancelled');
  }
  return result;
}
