import { Prisma, type Tx } from '@flash-sale/db';
import type { CancelReason } from './order-view.ts';

// The orders table's raw SQL, all of it (the locking reads are in lock-order.ts; an order is
// created through Prisma's typed API). Runs inside the caller's transaction, with the orders
// locked as lock-order.ts ranks them; where stock comes back, after the products' UPDATE (the
// foreign-key rule there).

/** The final state a pending order moves to. */
export type OrderOutcome = { status: 'paid' } | { status: 'cancelled'; reason: CancelReason };

/**
 * Moves the orders that are still pending to `outcome`; the caller has given back their stock if
 * cancelled. `at` is the caller's clock, as the order's other times (created_at, payment_due_at)
 * are: an order's times all come from one clock, whatever MySQL's own reads.
 */
export async function finishPendingOrders(tx: Tx, orderIds: number[], outcome: OrderOutcome, at: Date): Promise<void> {
  if (orderIds.length === 0) return;
  const assignments = outcome.status === 'paid' ? Prisma.sql`status = 'paid'` : Prisma.sql`status = 'cancelled', cancel_reason = ${outcome.reason}`;
  await tx.$executeRaw`
    UPDATE orders SET ${assignments}, updated_at = ${at}
    WHERE id IN (${Prisma.join(orderIds)}) AND status = 'pending'`;
}
