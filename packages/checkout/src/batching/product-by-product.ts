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
}

/**
 * Hands over what a product's commit has to tell (its cache write-through, counters and log
 * lines), already under way: it goes on while the other products' transactions run.
 */
export type Reporting = (reported: Promise<void>) => void;

// Products whose transactions run at once: a batch across many products takes a few of the
// pool's connections, and one stuck on a lock holds up only its own.
const PRODUCTS_AT_ONCE = 4;

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

  /**
   * Its cool-off starts again now, as a try begins: another batch meanwhile leaves it alone
   * instead of waiting on the same lock too. Its failure or success then says how it went.
   */
  trying(productId: number, now: Date): void {
    const failure = this.lastFailure.get(productId);
    if (failure) failure.at = now.getTime();
  }

  succeeded(productId: number): void {
    this.lastFailure.delete(productId);
  }

  get size(): number {
    return this.lastFailure.size;
  }
}

/**
 * Runs `work` for each product's items, in transactions of their own, PRODUCTS_AT_ONCE at a
 * time, so that a product whose rows cannot change fails by itself, and never holds another
 * product's row lock while it waits (a transaction across products would hold every product it
 * locked before the stuck one, the hot product too, and stall its holds). One transaction per
 * product, not per batch: a crowd on one product, the case that must be fast, is still one.
 * Each product's report starts as soon as it has committed (`Reporting`), so the cache never
 * waits for the other products; `committed` is called once every transaction has ended, and
 * the call resolves once the reports are done too.
 *
 * A product that fails is remembered in `failing` and left alone for COOL_OFF_MS (reported as
 * failed, untried), then started after the others, with one attempt, by one batch at a time
 * (its cool-off starts again as the try begins), until it succeeds: a row lock that does not
 * come free costs its lock wait once per cool-off, not on every batch. The first try of a
 * product stuck on a lock cannot know it: it waits out runTransaction's attempts, and a batch
 * beside it that holds the same product waits too.
 *
 * Returns what each successful run of `work` returned, and each product that failed. When
 * MySQL is away it starts no more products, lets those under way end and report, and throws.
 */
export async function productByProduct<T extends { productId: number }, R>(
  deps: Pick<CheckoutDeps, 'clock' | 'logger'>,
  items: T[],
  failing: FailingProducts,
  work: (items: T[], attempt: ProductAttempt, reporting: Reporting) => Promise<R>,
  options: { committed?: () => void } = {},
): Promise<{ done: R[]; failed: ProductFailure[] }> {
  const byProduct = new Map<number, T[]>();
  for (const item of items) {
    const group = byProduct.get(item.productId);
    if (group) group.push(item);
    else byProduct.set(item.productId, [item]);
  }
  const done: R[] = [];
  const failed: ProductFailure[] = [];
  const toTry: { productId: number; group: T[]; failedBefore: boolean }[] = [];
  for (const [productId, group] of byProduct) {
    const lastFailure = failing.coolingOff(productId, deps.clock.now());
    if (lastFailure) {
      failed.push({ productId, error: lastFailure.error, coolingOff: true });
      continue;
    }
    const failedBefore = failing.has(productId);
    // Claimed now, not when it starts: a batch planned meanwhile leaves it alone.
    if (failedBefore) failing.trying(productId, deps.clock.now());
    toTry.push({ productId, group, failedBefore });
  }
  // Those that failed before are started last: the others' rows change first.
  toTry.sort((a, b) => Number(a.failedBefore) - Number(b.failedBefore));

  const reports: Promise<void>[] = [];
  const reporting: Reporting = (reported) => {
    reports.push(reported.catch((error: unknown) => deps.logger.error({ err: error }, 'could not report a commit')));
  };
  let mysqlAway: { error: unknown } | undefined;
  const runProducts = async () => {
    while (!mysqlAway && toTry.length > 0) {
      const { productId, group, failedBefore } = toTry.shift()!;
      try {
        done.push(await work(group, { failedBefore }, reporting));
        failing.succeeded(productId);
      } catch (error) {
        if (isMysqlAway(error)) mysqlAway ??= { error };
        else {
          failed.push({ productId, error, coolingOff: false });
          failing.failed(productId, error, deps.clock.now());
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PRODUCTS_AT_ONCE, toTry.length) }, runProducts));
  } finally {
    options.committed?.();
  }
  await Promise.all(reports);
  if (mysqlAway) throw mysqlAway.error;
  return { done, failed };
}
