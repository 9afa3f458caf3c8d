import type { DbOrTx } from '@flash-sale/db';
import { ProductNotFoundError } from '@flash-sale/errors';
import type { Logger } from '@flash-sale/logger';
import { shareWithinTurn } from '../batching/share-within-turn.ts';
import type { ProductCache } from './product-cache.ts';
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

export function createProductReader(deps: { db: DbOrTx; productCache: ProductCache; logger: Logger }): ProductReader {
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
  // Said once when the cache stops answering and once when it answers again, not once per read:
  // a crowd reading through an outage would otherwise write a line per request.
  let cacheDown = false;

  return {
    async get(productId) {
      let cached: ProductSnapshot | undefined;
      try {
        cached = await deps.productCache.get(productId);
      } catch (error) {
        if (!cacheDown) deps.logger.warn({ err: error, productId }, 'product cache unreachable; reading MySQL');
        cacheDown = true;
        return readWhileCacheDown(productId);
      }
      if (cacheDown) deps.logger.info({ productId }, 'product cache answering again');
      cacheDown = false;
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
