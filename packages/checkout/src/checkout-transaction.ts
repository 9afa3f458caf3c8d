import { ServiceUnavailableError } from '@flash-sale/errors';
import { isRetryableTransactionError, runTransaction, type Tx } from '@flash-sale/db';
import type { CheckoutDeps } from './deps.ts';
import { stockMovesIn } from './products/products-sql.ts';

/**
 * runTransaction for the domain, minding a COMMIT in doubt. When MySQL goes away or stops
 * answering after `work` has finished, the COMMIT was sent and its answer lost: it may have
 * taken effect or not (now, or when a partition heals), and the caller answers 503 either way.
 * The stores outside MySQL are then made right for both outcomes:
 * - the cached snapshot of every product whose stock the transaction moved is dropped, keeping
 *   the version the commit would give it: reads go to MySQL, and a snapshot from before the
 *   commit (a read that missed meanwhile, another process's late write-through) can no longer
 *   fill the entry; MySQL's own snapshot can, once the commit landed, or the product's next
 *   change can, if it never does;
 * - `inDoubt` gets what `work` returned, to add the jobs the commit needs if it took effect
 *   (each must be harmless if it did not).
 * `maxAttempts` is runTransaction's.
 * A failure before `work` finished changed nothing, and the cache is left alone: reads are
 * still served from it while MySQL is away.
 */
export async function runCheckoutTransaction<T>(
  deps: Pick<CheckoutDeps, 'db' | 'productCache' | 'logger'>,
  work: (tx: Tx) => Promise<T>,
  options: { inDoubt?: (result: T) => Promise<void>; maxAttempts?: number } = {},
): Promise<T> {
  // The attempt whose work finished, with what it returned: its COMMIT is on its way.
  let committing: { tx: Tx; result: T } | undefined;
  try {
    return await runTransaction(
      deps.db,
      async (tx) => {
        committing = undefined;
        const result = await work(tx);
        committing = { tx, result };
        return result;
      },
      // An attempt that failed and is run again was rolled back: nothing of it is in doubt.
      { onRetry: () => (committing = undefined), maxAttempts: options.maxAttempts },
    );
  } catch (error) {
    if (committing && isCommitInDoubt(error)) await mindCommitInDoubt(deps, committing.tx, () => options.inDoubt?.(committing!.result));
    throw error;
  }
}

/**
 * MySQL unavailable, as the COMMIT's own failure. Not Prisma's transaction errors (P2028): its
 * timeout or a closed client ended the transaction before any COMMIT was sent, and it was
 * rolled back. Nor a deadlock or lock-wait timeout on the last attempt (a 503 too): MySQL
 * answered that it rolled the transaction back.
 */
function isCommitInDoubt(error: unknown): boolean {
  if (!(error instanceof ServiceUnavailableError)) return false;
  return (error.cause as { code?: unknown } | undefined)?.code !== 'P2028' && !isRetryableTransactionError(error.cause);
}

async function mindCommitInDoubt(deps: Pick<CheckoutDeps, 'productCache' | 'logger'>, tx: Tx, inDoubt: () => Promise<void> | undefined): Promise<void> {
  const moves = stockMovesIn(tx);
  deps.logger.warn({ productIds: moves.map((move) => move.productId) }, 'COMMIT sent but not answered; it may have taken effect');
  const jobs = Promise.resolve()
    .then(inDoubt)
    // Never instead of the 503: the sweeper covers what a job would have done.
    .catch((error: unknown) => deps.logger.error({ err: error }, 'could not add the jobs of a COMMIT in doubt'));
  await Promise.all([...moves.map((move) => deps.productCache.forget(move.productId, move.stockVersion)), jobs]);
}
