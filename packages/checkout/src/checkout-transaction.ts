import { ServiceUnavailableError } from '@flash-sale/errors';
import { runTransaction, type Tx } from '@flash-sale/db';
import type { CheckoutDeps } from './deps.ts';
import { productsWithStockMovedIn } from './products/products-sql.ts';

/**
 * runTransaction for the domain, minding a COMMIT in doubt. When MySQL goes away or stops
 * answering after `work` has finished, the COMMIT was sent and its answer lost: it may have
 * taken effect or not, and the caller answers 503 either way. The stores outside MySQL are then
 * made right for both: the cached snapshots of every product whose stock the transaction moved
 * are dropped, so reads ask MySQL, which knows; and `inDoubt` gets what `work` returned, for the
 * jobs the commit would need if it took effect (each job must then be harmless if it did not).
 * A failure before `work` finished changed nothing, and the cache is left alone: reads are
 * still served from it while MySQL is away.
 */
export async function runCheckoutTransaction<T>(
  deps: Pick<CheckoutDeps, 'db' | 'productCache' | 'logger'>,
  work: (tx: Tx) => Promise<T>,
  options: { inDoubt?: (result: T) => Promise<void> } = {},
): Promise<T> {
  // The attempt whose work finished, with what it returned: its COMMIT is on its way.
  let committing: { tx: Tx; result: T } | undefined;
  try {
    return await runTransaction(deps.db, async (tx) => {
      committing = undefined;
      const result = await work(tx);
      committing = { tx, result };
      return result;
    });
  } catch (error) {
    if (error instanceof ServiceUnavailableError && committing) await mindCommitInDoubt(deps, committing.tx, () => options.inDoubt?.(committing!.result));
    throw error;
  }
}

async function mindCommitInDoubt(deps: Pick<CheckoutDeps, 'productCache' | 'logger'>, tx: Tx, inDoubt: () => Promise<void> | undefined): Promise<void> {
  const productIds = productsWithStockMovedIn(tx);
  // The products' snapshots are dropped (productIds), and the caller's jobs added.
  deps.logger.warn({ productIds }, 'COMMIT sent but not answered; it may have taken effect');
  await Promise.all([...productIds.map((id) => deps.productCache.forget(id)), inDoubt()]);
}
