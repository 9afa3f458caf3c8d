import { HoldAlreadyUsedError, HoldExpiredError, HoldNotFoundError, HoldReleasedError } from '@flash-sale/errors';
import { runCheckoutTransaction } from '../checkout-transaction.ts';
import { enqueueAfterCommit, publishCommit, reportHoldsEnded } from '../after-commit.ts';
import { addSeconds } from '../clock.ts';
import type { BeforeCommit, CheckoutDeps } from '../deps.ts';
import { endActiveHold } from '../holds/expire-hold.ts';
import { isDue } from '../holds/hold-view.ts';
import { markHoldUsed } from '../holds/holds-sql.ts';
import { lockHold, type LockedHold } from '../lock-order.ts';
import { redriveOrderPaymentEvents } from '../payments/redrive-order-payment-events.ts';
import type { ProductSnapshot } from '../products/product-snapshot.ts';
import { orderIdOfHold } from './order-of-hold.ts';
import { paymentTimeoutAt } from './payment-deadline.ts';
import { toOrderView, type OrderView } from './order-view.ts';

type Outcome =
  | { kind: 'created'; order: OrderView; paymentDueAt: Date }
  | { kind: 'expired'; hold: LockedHold; snapshot: ProductSnapshot }
  | { kind: 'ended before'; productId: number; refusal: HoldReleasedError | HoldExpiredError };

/**
 * Converts an active hold into a pending order (amount = qty x price). The hold's row lock makes
 * two attempts on the same hold, or an order racing a release, take turns: the second sees the
 * first's result. The unique key on orders.hold_id backs this up: one hold, one order, ever.
 */
export async function createOrder(
  deps: Pick<CheckoutDeps, 'db' | 'clock' | 'settings' | 'productCache' | 'productReader' | 'jobs' | 'metrics' | 'logger'>,
  holdId: number,
  options: { beforeCommit?: BeforeCommit<OrderView> } = {},
): Promise<OrderView> {
  const outcome = await runCheckoutTransaction(deps, async (tx): Promise<Outcome> => {
    const hold = await lockHold(tx, holdId);
    if (!hold) throw new HoldNotFoundError(holdId);
    if (hold.status === 'used') throw new HoldAlreadyUsedError(holdId, await orderIdOfHold(tx, holdId));
    if (hold.status === 'released') return { kind: 'ended before', productId: hold.productId, refusal: new HoldReleasedError(holdId) };
    if (hold.status === 'expired') return { kind: 'ended before', productId: hold.productId, refusal: new HoldExpiredError(holdId) };
    const now = deps.clock.now();
    // Past its time but not yet swept: expire it now (its stock goes back at once), then refuse.
    if (isDue(hold.expiresAt, now)) return { kind: 'expired', hold, snapshot: await endActiveHold(tx, hold, 'expired') };

    const product = await tx.product.findUniqueOrThrow({ where: { id: hold.productId }, select: { price: true } });
    await markHoldUsed(tx, hold.id);
    const row = await tx.order.create({
      data: {
        holdId: hold.id,
        productId: hold.productId,
        qty: hold.qty,
        amount: product.price.mul(hold.qty),
        status: 'pending',
        // Dated when it was decided, by the clock that found the hold not yet expired: never a
        // moment after its hold's expires_at, and its deadline exactly the timeout later.
        createdAt: now,
        updatedAt: now,
        paymentDueAt: addSeconds(now, deps.settings.orderPaymentTimeoutSeconds),
      },
    });
    const order = toOrderView(row);
    await options.beforeCommit?.(tx, order);
    return { kind: 'created', order, paymentDueAt: row.paymentDueAt };
  }, { inDoubt: async (made) => (made.kind === 'created' ? enqueuePaymentTimeout(deps, made.order.id, made.paymentDueAt) : undefined) });

  if (outcome.kind === 'ended before') {
    // The refusal tells the caller the hold's stock is back, given back maybe by a process that
    // died between its commit and its cache write-through: the product's next read must show it.
    await deps.productReader.refresh(outcome.productId);
    throw outcome.refusal;
  }
  if (outcome.kind === 'expired') {
    await reportHoldsEnded(deps, { holds: [outcome.hold], snapshots: [outcome.snapshot], status: 'expired', by: 'request' });
    throw new HoldExpiredError(holdId);
  }
  const { order, paymentDueAt } = outcome;
  await publishCommit(deps, {
    count: () => deps.metrics.orderCreated(),
    changes: [{ message: 'order created', fields: { orderId: order.id, holdId, productId: order.productId, qty: order.qty, amount: order.amount } }],
    alongside: [
      () => enqueuePaymentTimeout(deps, order.id, paymentDueAt),
      () => redriveOrderPaymentEvents(deps, order.id),
    ],
  });
  return order;
}

/**
 * The order's payment-timeout job, due when the timeout may act (its deadline plus the grace).
 * Also added when the order's COMMIT went unanswered, in case it took effect: the job of an
 * order that never committed finds no order and does nothing. (The payment events that came
 * before such an order are not re-driven then: each is applied at its own next retry, at most
 * 30 s apart.)
 */
function enqueuePaymentTimeout(deps: Pick<CheckoutDeps, 'jobs' | 'logger' | 'clock'>, orderId: number, paymentDueAt: Date): Promise<void> {
  return enqueueAfterCommit(deps, 'order-timeout', { orderId }, paymentTimeoutAt(paymentDueAt).getTime() - deps.clock.now().getTime());
}
