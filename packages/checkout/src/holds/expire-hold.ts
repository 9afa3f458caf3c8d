import type { Tx } from '@flash-sale/db';
import { runTransaction } from '@flash-sale/db';
import type { CheckoutDeps } from '../deps.ts';
import { lockHold, type LockedHold } from '../lock-order.ts';
import type { ProductSnapshot } from '../products/product-snapshot.ts';
import { returnStock } from '../products/stock.ts';
import { isDue } from './hold-view.ts';

/**
 * Inside a transaction that holds the hold's lock: marks an active hold `to` (expired or
 * released) and returns its qty to the product. The caller has checked that the hold is active.
 */
export async function endActiveHold(tx: Tx, hold: LockedHold, to: 'expired' | 'released'): Promise<ProductSnapshot> {
  // Product X lock first, then the hold row (see the FK rule in lock-order.ts).
  const snapshot = await returnStock(tx, hold.productId, hold.qty);
  await tx.$executeRaw`UPDATE holds SET status = ${to}, updated_at = NOW(3) WHERE id = ${hold.id} AND status = 'active'`;
  return snapshot;
}

export type ExpireHoldResult =
  | { outcome: 'expired'; snapshot: ProductSnapshot }
  | { outcome: 'not_found' | 'not_active' }
  | { outcome: 'not_due'; expiresAt: Date };

/**
 * Expires a hold whose time is up and gives its stock back. Safe to run any number of times, in
 * any number of processes: the hold's row lock serialises them and only an active, due hold
 * changes.
 */
export async function expireHold(deps: Pick<CheckoutDeps, 'db' | 'clock' | 'productCache' | 'logger' | 'metrics'>, holdId: number): Promise<ExpireHoldResult> {
  const result = await runTransaction(deps.db, async (tx): Promise<ExpireHoldResult> => {
    const hold = await lockHold(tx, holdId);
    if (!hold) return { outcome: 'not_found' };
    if (hold.status !== 'active') return { outcome: 'not_active' };
    if (!isDue(hold.expiresAt, deps.clock.now())) return { outcome: 'not_due', expiresAt: hold.expiresAt };
    return { outcome: 'expired', snapshot: await endActiveHold(tx, hold, 'expired') };
  });
  if (result.outcome === 'expired') {
    await deps.productCache.writeThrough(result.snapshot);
    deps.metrics.holdEnded('expired', 'job');
    deps.logger.info({ holdId, productId: result.snapshot.id, availableStock: result.snapshot.availableStock }, 'hold expired');
  }
  return result;
}
