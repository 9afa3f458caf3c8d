import { isMysqlAway } from '@flash-sale/db';
import type { CheckoutDeps } from '../deps.ts';

// How long a product whose rows failed to change is left alone before it is tried again.
const COOL_OFF_MS = 30_000;

export interface ProductFailure {
  productId: number;
  error: unknown;
  /** Not tried this time: it failed less than COOL_OFF_MS ago, with `error`. */
  coolingOff: boolean;
}

/** How `work` is to run for one product's items. */
export interface ProductAttempt {
  /** It failed before: one attempt, no second wait on a lock that did not come free. */
  failedBefore: boolean;
  /** No other product follows this one. */
  last: boolean;
}

/**
 * Products whose rows failed to change, in one process: when each last failed, and how. Such a
 * product is one whose stock a hand edit of total_stock pushed outside the CHECK, or whose row a
 * stuck client keeps locked (an api host cut off mid-batch: MySQL keeps its transaction, and its
 * locks, until wait_timeout). Kept until the product's rows change again.
 */
export class FailingProducts {
  private readonly lastFailure = new Map<number, { at: number; error: unknown }>();

  has(productId: number): boolean {
    return this.lastFailure.has(productId);
  }

  /** Its last failure, if that was less than COOL_OFF_MS before `now`. */
  coolingOff(productId: number, now: Date): { error: unknown } | undefined {
    const failure = this.lastFailure.get(productId);
    return failure && now.getTime() - failure.at < COOL_OFF_MS ? failure : undefined;
  }

  failed(productId: number, error: unknown, now: Date): void {
    this.lastFailure.set(productId, { at: now.getTime(), error });
  }

  succeeded(productId: number): void {
    this.lastFailure.delete(productId);
  }

  get size(): number {
    return this.lastFailure.size;
  }
}

/**
 * Runs `work` for each product's items in turn, each in transactions of its own, so that a
 * product whose rows cannot change fails by itself, and never holds another product's row lock
 * while it waits (a transaction across products would hold every product it locked before the
 * stuck one, the hot product too, and stall its holds). One transaction per product, not per
 * batch: a crowd on one product, the case that must be fast, is still one.
 *
 * A product that fails is remembered in `failing` and left alone for COOL_OFF_MS (reported as
 * failed, untried), then tried last, with one attempt, until it succeeds: a row lock that does
 * not come free costs its lock wait once per cool-off, not on every batch.
 *
 * Returns what each successful run of `work` returned, and each product that failed. When
 * MySQL is away it throws: trying the next product would only wait on it again.
 */
export async function productByProduct<T extends { productId: number }, R>(
  deps: Pick<CheckoutDeps, 'clock'>,
  items: T[],
  failing: FailingProducts,
  work: (items: T[], attempt: ProductAttempt) => Promise<R>,
): Promise<{ done: R[]; failed: ProductFailure[] }> {
  const byProduct = new Map<number, T[]>();
  for (const item of items) byProduct.set(item.productId, [...(byProduct.get(item.productId) ?? []), item]);
  const done: R[] = [];
  const failed: ProductFailure[] = [];
  const toTry: [number, T[]][] = [];
  for (const [productId, group] of byProduct) {
    const lastFailure = failing.coolingOff(productId, deps.clock.now());
    if (lastFailure) failed.push({ productId, error: lastFailure.error, coolingOff: true });
    else toTry.push([productId, group]);
  }
  // Those that failed before go last: the others' rows change first.
  toTry.sort(([a], [b]) => Number(failing.has(a)) - Number(failing.has(b)));
  for (const [index, [productId, group]] of toTry.entries()) {
    try {
      done.push(await work(group, { failedBefore: failing.has(productId), last: index === toTry.length - 1 }));
      failing.succeeded(productId);
    } catch (error) {
      if (isMysqlAway(error)) throw error;
      failed.push({ productId, error, coolingOff: false });
      failing.failed(productId, error, deps.clock.now());
    }
  }
  return { done, failed };
}
