import type { DbOrTx } from '@flash-sale/db';
import { ProductNotFoundError } from '@flash-sale/errors';
import { isRedisUnavailableError } from '@flash-sale/queues';
import { shareWithinTurn } from '../batching/share-within-turn.ts';
import type { CheckoutDeps } from '../deps.ts';
import { toProductSnapshot, type ProductSnapshot } from './product-snapshot.ts';

/** Reads a product with its live available stock (one per process). */
export interface ProductReader {
  /**
   * From the Redis cache. Every stock change writes its snapshot through before the request
   * that made it returns, so a hit is never older than a change the caller could have seen. A
   * miss (or Redis down) reads MySQL. Throws ProductNotFoundError for an unknown product.
   */
  get(productId: number): Promise<ProductSnapshot>;
  /**
   * Reads the product from MySQL and writes it through to the cache (a newer snapshot there
   * stays). For an answer that tells the caller of a change which another process made and may
   * not have written through, having died between its commit and its write-through: an
   * idempotent replay, the release of a hold that had already ended. Without it the cache
   * would show the stock from before that change until the product's next one, or its TTL.
   * Never throws: if MySQL cannot be read, the cached snapshot is dropped instead (behind the
   * version the missing change would have given it).
   */
  refresh(productId: number): Promise<void>;
}

/** How long the cache must answer without failing before an outage is said to be over. */
export const OUTAGE_SETTLE_MS = 5_000;

export function createProductReader(deps: Pick<CheckoutDeps, 'db' | 'productCache' | 'logger' | 'clock'>): ProductReader {
  // When the cache cannot answer (Redis lost its data, or is down) a crowd on one product would
  // go to MySQL with one read each. The readers of one turn share one read instead, never one
  // already sent (shareWithinTurn: never stale), and after a miss one write-through.
  const readAfterMiss = shareWithinTurn(async (productId: number) => {
    const snapshot = await readProduct(deps.db, productId);
    // Guarded by stock_version: if a newer snapshot landed meanwhile, this one is dropped.
    await deps.productCache.writeThrough(snapshot);
    return snapshot;
  });
  const readWhileCacheDown = shareWithinTurn((productId: number) => readProduct(deps.db, productId));
  // An outage is said once when it starts and once when the cache answers again (with how many
  // reads went to MySQL meanwhile), not once per read: a crowd reading through it would write a
  // line per request. A Redis that is slow rather than down fails a read now and then and answers
  // the next, so the outage ends only once the cache has answered for OUTAGE_SETTLE_MS since its
  // last failure; else each flap would write a pair of lines. Any other failure of a read (a
  // corrupt entry, say) is logged each time.
  let outage: { since: number; lastFailure: number; reads: number } | undefined;

  return {
    async get(productId) {
      let cached: ProductSnapshot | undefined;
      try {
        cached = await deps.productCache.get(productId);
      } catch (error) {
        const now = deps.clock.now().getTime();
        if (!isRedisUnavailableError(error)) {
          deps.logger.warn({ err: error, productId }, 'product cache read failed; reading MySQL');
        } else if (!outage) {
          outage = { since: now, lastFailure: now, reads: 0 };
          deps.logger.warn({ err: error, productId }, 'product cache unreachable; reading MySQL');
        } else {
          outage.lastFailure = now;
        }
        if (outage) outage.reads += 1;
        return readWhileCacheDown(productId);
      }
      if (outage && deps.clock.now().getTime() - outage.lastFailure >= OUTAGE_SETTLE_MS) {
        // downForMs: from its first failed read to its last.
        deps.logger.info({ readsFromMysql: outage.reads, downForMs: outage.lastFailure - outage.since }, 'product cache answering again');
        outage = undefined;
      }
      return cached ?? readAfterMiss(productId);
    },

    async refresh(productId) {
      try {
        await readAfterMiss(productId);
      } catch (error) {
        // Never in place of the answer it goes with: with MySQL unreadable, the cached snapshot
        // is dropped instead, so that reads go to MySQL. Its version goes one up, as the change
        // it may lack would: an older snapshot landing late is still refused (never a plain DEL).
        // If it lacked nothing, that floor is one above MySQL's, and reads go to MySQL until the
        // product's next change or the entry's TTL. With Redis unreadable too, the drop is owed
        // and made once Redis answers (ProductCache.forget).
        deps.logger.warn({ err: error, productId }, 'could not refresh a cached product snapshot; dropping it');
        const cached = await deps.productCache.get(productId).then(
          (snapshot) => ({ snapshot }),
          () => undefined,
        );
        if (!cached) await deps.productCache.forget(productId);
        else if (cached.snapshot) await deps.productCache.forget(productId, cached.snapshot.stockVersion + 1);
      }
    },
  };
}

async function readProduct(db: DbOrTx, productId: number): Promise<ProductSnapshot> {
  const row = await db.product.findUnique({ where: { id: productId } });
  if (!row) throw new ProductNotFoundError(productId);
  // Frozen: every reader that shared the read gets this same object.
  return Object.freeze(toProductSnapshot(row));
}
