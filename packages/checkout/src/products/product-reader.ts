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
}

export function createProductReader(deps: Pick<CheckoutDeps, 'db' | 'productCache' | 'logger'>): ProductReader {
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
  // line per request. Any other failure of a read (a corrupt entry, say) is logged each time.
  let outage: { since: number; reads: number } | undefined;

  return {
    async get(productId) {
      let cached: ProductSnapshot | undefined;
      try {
        cached = await deps.productCache.get(productId);
      } catch (error) {
        if (!isRedisUnavailableError(error)) {
          deps.logger.warn({ err: error, productId }, 'product cache read failed; reading MySQL');
        } else if (!outage) {
          outage = { since: Date.now(), reads: 0 };
          deps.logger.warn({ err: error, productId }, 'product cache unreachable; reading MySQL');
        }
        if (outage) outage.reads += 1;
        return readWhileCacheDown(productId);
      }
      if (outage) {
        deps.logger.info({ readsFromMysql: outage.reads, downForMs: Date.now() - outage.since }, 'product cache answering again');
        outage = undefined;
      }
      return cached ?? readAfterMiss(productId);
    },
  };
}

async function readProduct(db: DbOrTx, productId: number): Promise<ProductSnapshot> {
  const row = await db.product.findUnique({ where: { id: productId } });
  if (!row) throw new ProductNotFoundError(productId);
  // Frozen: every reader that shared the read gets this same object.
  return Object.freeze(toProductSnapshot(row));
}
