import { isMysqlAway } from '@flash-sale/db';
import type { CheckoutDeps } from '../deps.ts';

export interface ProductFailure {
  productId: number;
  error: unknown;
}

/** How `work` is to run. */
export interface ProductAttempt {
  /** One product's rows, tried once (no second wait on a lock that did not come free). */
  alone: boolean;
  /** No attempt follows this one if it succeeds. */
  last: boolean;
}

/**
 * Runs `work` on `items` of several products, so that a product whose rows cannot change fails
 * by itself while every other product's holds and orders still end. Such a product is one whose
 * stock a hand edit of total_stock pushed outside the CHECK, or whose row a stuck client keeps
 * locked (an api host cut off mid-batch: MySQL keeps its transaction until wait_timeout).
 *
 * The items go in one transaction across their products, the fast way, but for those of the
 * products in `failing` (products that failed alone before, in this process). Should that
 * transaction fail for any reason but MySQL being away, each of its products is tried alone;
 * then each failing product is. A product tried alone gets one attempt (`alone`: no second
 * wait on a lock that did not come free) and, as it fails or succeeds, joins `failing` or
 * leaves it. So a product stuck on a lock costs the others its lock waits once (the first
 * transaction's), and after that one lock wait of its own each time it comes up, after theirs.
 *
 * Returns what each successful run of `work` returned and, per product that failed alone, its
 * error. When MySQL is away it throws: trying product by product would only wait on it again.
 */
export async function isolateFailingProducts<T extends { productId: number }, R>(
  deps: Pick<CheckoutDeps, 'logger'>,
  what: string,
  items: T[],
  failing: Set<number>,
  work: (items: T[], attempt: ProductAttempt) => Promise<R>,
): Promise<{ done: R[]; failed: ProductFailure[] }> {
  const byProduct = new Map<number, T[]>();
  for (const item of items) byProduct.set(item.productId, [...(byProduct.get(item.productId) ?? []), item]);
  const together = [...byProduct].filter(([productId]) => !failing.has(productId));
  const alone = [...byProduct].filter(([productId]) => failing.has(productId));
  const done: R[] = [];
  const failed: ProductFailure[] = [];
  if (together.length > 0) {
    try {
      done.push(await work(together.flatMap(([, group]) => group), { alone: false, last: alone.length === 0 }));
    } catch (error) {
      if (isMysqlAway(error)) throw error;
      if (together.length === 1) {
        failed.push({ productId: together[0]![0], error });
        failing.add(together[0]![0]);
      } else {
        deps.logger.warn({ err: error, productIds: together.map(([productId]) => productId) }, `${what} across products failed; trying each product alone`);
        alone.unshift(...together);
      }
    }
  }
  for (const [index, [productId, group]] of alone.entries()) {
    try {
      done.push(await work(group, { alone: true, last: index === alone.length - 1 }));
      failing.delete(productId);
    } catch (error) {
      if (isMysqlAway(error)) throw error;
      failed.push({ productId, error });
      failing.add(productId);
    }
  }
  return { done, failed };
}
