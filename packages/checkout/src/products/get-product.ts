import { ProductNotFoundError } from '@flash-sale/errors';
import type { CheckoutDeps } from '../deps.ts';
import { toProductSnapshot, type ProductSnapshot } from './product-snapshot.ts';

type Deps = Pick<CheckoutDeps, 'db' | 'productCache' | 'logger'>;

/**
 * A product with its live available stock, from the Redis cache. Every stock change writes its
 * snapshot through before the request that made it returns, so a hit is never older than a
 * change the caller could have seen. A miss (or Redis down) reads MySQL.
 */
export async function getProduct(deps: Deps, productId: number): Promise<ProductSnapshot> {
  try {
    const cached = await deps.productCache.get(productId);
    if (cached) return cached;
  } catch (error) {
    deps.logger.warn({ err: error, productId }, 'product cache unreachable; reading MySQL');
    return readProduct(deps, productId);
  }
  const snapshot = await readProduct(deps, productId);
  // Guarded by stock_version: if a newer snapshot landed meanwhile, this one is dropped.
  await deps.productCache.writeThrough(snapshot);
  return snapshot;
}

async function readProduct(deps: Pick<CheckoutDeps, 'db'>, productId: number): Promise<ProductSnapshot> {
  const row = await deps.db.product.findUnique({ where: { id: productId } });
  if (!row) throw new ProductNotFoundError(productId);
  return toProductSnapshot(row);
}
