import { isMysqlAway } from '@flash-sale/db';
import type { CheckoutDeps } from '../deps.ts';

export interface ProductFailure {
  productId: number;
  error: unknown;
}

/**
 * Runs `work` on all of `items` at once (one transaction across their products, the fast way)
 * and, should that fail for any reason but MySQL being away, once more for each product's items
 * alone, one product after another. So a product whose rows cannot change fails by itself, and
 * every other product's holds and orders still end on time. Such a product is one whose stock a
 * hand edit of total_stock pushed outside the CHECK, or whose row a stuck client keeps locked
 * (an api host cut off mid-batch: MySQL keeps its transaction until wait_timeout).
 *
 * Returns what each successful run of `work` returned and, per product that failed alone, its
 * error. When MySQL is away it throws: trying product by product would only wait on it again.
 */
export async function isolateFailingProducts<T extends { productId: number }, R>(
  deps: Pick<CheckoutDeps, 'logger'>,
  what: string,
  items: T[],
  work: (items: T[]) => Promise<R>,
): Promise<{ done: R[]; failed: ProductFailure[] }> {
  const byProduct = new Map<number, T[]>();
  for (const item of items) byProduct.set(item.productId, [...(byProduct.get(item.productId) ?? []), item]);
  try {
    return { done: [await work(items)], failed: [] };
  } catch (error) {
    if (isMysqlAway(error)) throw error;
    if (byProduct.size === 1) return { done: [], failed: [{ productId: items[0]!.productId, error }] };
    deps.logger.warn({ err: error, productIds: [...byProduct.keys()] }, `${what} across products failed; trying each product alone`);
  }
  const done: R[] = [];
  const failed: ProductFailure[] = [];
  for (const [productId, group] of byProduct) {
    try {
      done.push(await work(group));
    } catch (error) {
      if (isMysqlAway(error)) throw error;
      failed.push({ productId, error });
    }
  }
  return { done, failed };
}
