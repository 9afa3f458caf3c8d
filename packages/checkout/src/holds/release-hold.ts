import { HoldAlreadyUsedError, HoldNotFoundError } from '@flash-sale/errors';
import { runCheckoutTransaction } from '../checkout-transaction.ts';
import { removeJobAfterCommit, reportHoldsEnded } from '../after-commit.ts';
import type { CheckoutDeps } from '../deps.ts';
import { lockHold } from '../lock-order.ts';
import type { ProductSnapshot } from '../products/product-snapshot.ts';
import { orderIdOfHold } from '../orders/order-of-hold.ts';
import { endActiveHold } from './expire-hold.ts';
import { isDue, toHoldView, type HoldView } from './hold-view.ts';

/**
 * The shopper gives the stock back before the timer runs out. A released or expired hold comes
 * back unchanged; a used one is refused. An active hold whose time is already up is expired here
 * rather than released, since that is what it already is.
 */
export async function releaseHold(
  deps: Pick<CheckoutDeps, 'db' | 'clock' | 'productCache' | 'productReader' | 'jobs' | 'metrics' | 'logger'>,
  holdId: number,
): Promise<HoldView> {
  const { view, snapshot } = await runCheckoutTransaction(deps, async (tx) => {
    const hold = await lockHold(tx, holdId);
    if (!hold) throw new HoldNotFoundError(holdId);
    const now = deps.clock.now();
    if (hold.status === 'used') throw new HoldAlreadyUsedError(holdId, await orderIdOfHold(tx, holdId));
    if (hold.status !== 'active') return { view: toHoldView(hold, null, now), snapshot: undefined };

    const to = isDue(hold.expiresAt, now) ? 'expired' : 'released';
    const snapshot: ProductSnapshot = await endActiveHold(tx, hold, to);
    return { view: toHoldView({ ...hold, status: to }, null, now), snapshot };
  });

  if (snapshot) {
    const status = view.status === 'expired' ? 'expired' : 'released';
    // Its expiry job has nothing left to do: removed alongside (best effort; it would no-op).
    await reportHoldsEnded(deps, { holds: [view], snapshots: [snapshot], status, by: 'request', alongside: [() => removeJobAfterCommit(deps, 'hold-expiry', { holdId })] });
  } else {
    // Ended before: most often this caller's own retry, whose first try may have died between
    // its commit and its write-through. The answer says the stock is back; so must the cache.
    await deps.productReader.refresh(view.productId);
  }
  return view;
}
