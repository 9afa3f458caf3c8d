import type { Tx } from '@flash-sale/db';
import { runCheckoutTransaction } from '../checkout-transaction.ts';
import { reportHoldsEnded } from '../after-commit.ts';
import type { CheckoutDeps } from '../deps.ts';
import { lockHoldsById, type LockedHold } from '../lock-order.ts';
import type { ProductSnapshot } from '../products/product-snapshot.ts';
import { returnStock, returnStockInBulk } from '../products/products-sql.ts';
import { isDue, type EndedHoldStatus } from './hold-view.ts';
import { endActiveHolds } from './holds-sql.ts';
import { createBatchLine, type BatchLineOptions, type BatchTurn, type MemberResult } from '../batching/batch-line.ts';
import { FailingProducts, productByProduct, type Reporting } from '../batching/product-by-product.ts';

/**
 * Inside a transaction that holds the hold's lock: marks an active hold `to` (expired or
 * released) and returns its qty to the product. The caller has checked that the hold is active.
 */
export async function endActiveHold(tx: Tx, hold: LockedHold, to: EndedHoldStatus): Promise<ProductSnapshot> {
  // Product X lock first, then the hold row (see the FK rule in lock-order.ts).
  const snapshot = await returnStock(tx, hold.productId, hold.qty);
  await endActiveHolds(tx, [hold.id], to);
  return snapshot;
}

export interface ExpiredHolds {
  /** The holds this call expired, each exactly once across every caller. */
  expired: LockedHold[];
  /** Active holds whose time is not up yet (a job that fired early). */
  notDue: LockedHold[];
  snapshots: ProductSnapshot[];
}

type Deps = Pick<CheckoutDeps, 'db' | 'clock' | 'productCache' | 'logger' | 'metrics'>;

/**
 * Expires every due, still-active hold among `holdIds` and gives their stock back, in one
 * transaction: one primary-key lock read of the holds, one lock read and one UPDATE of their
 * products, one UPDATE of the holds, whatever their number. Safe to run any number of times in
 * any number of processes: the holds' row locks serialise the callers and only an active, due
 * hold changes. `skipLocked` (the sweeper) leaves holds another transaction holds to it.
 * With `reporting` it resolves at commit, handing over the cache write-through and the counters
 * under way (productByProduct); `maxAttempts` is runTransaction's.
 */
export async function expireHolds(
  deps: Deps,
  holdIds: number[],
  options: { by: 'job' | 'sweeper'; skipLocked: boolean; alsoIfFree?: number[]; maxAttempts?: number; reporting?: Reporting },
): Promise<ExpiredHolds> {
  const own = new Set(holdIds);
  const extras = (options.alsoIfFree ?? []).filter((id) => !own.has(id));
  const result = await runCheckoutTransaction(deps, async (tx): Promise<ExpiredHolds> => {
    const now = deps.clock.now();
    // The holds asked for first (waiting for a lock another transaction holds, unless
    // skipLocked), then the extras only where nobody holds them: the second statement never
    // waits, so taking two sets of the same rank cannot make a cycle.
    const holds = [
      ...(await lockHoldsById(tx, holdIds, { skipLocked: options.skipLocked })),
      ...(await lockHoldsById(tx, extras, { skipLocked: true })),
    ];
    const active = holds.filter((hold) => hold.status === 'active');
    const expired = active.filter((hold) => isDue(hold.expiresAt, now));
    const notDue = active.filter((hold) => !isDue(hold.expiresAt, now));
    if (expired.length === 0) return { expired, notDue, snapshots: [] };
    // Stock first (the products' X locks), then the hold rows: the FK rule in lock-order.ts.
    const snapshots = await returnStockInBulk(tx, expired);
    await endActiveHolds(tx, expired.map((hold) => hold.id), 'expired');
    return { expired, notDue, snapshots };
  }, { maxAttempts: options.maxAttempts });

  // After commit: the cache and the counters. Nothing here changes stock.
  const reported = reportHoldsEnded(deps, { holds: result.expired, snapshots: result.snapshots, status: 'expired', by: options.by });
  if (options.reporting) options.reporting(reported);
  else await reported;
  return result;
}

/**
 * The expiry jobs of a worker, in bulk: the holds of the jobs that arrive together are expired
 * in one transaction per product, and with them every other hold of the same products that is
 * due by now and free, so a crowd of holds lapsing in the same second gives its stock back in a
 * few transactions instead of one per hold. The jobs of holds expired that way then find them
 * done with one plain read, no transaction (a cheap no-op). Only the jobs of a product that
 * fails (or is left alone after failing: productByProduct) fail, and BullMQ runs them again.
 */
export async function expireDueHoldsTogether(deps: Deps, turn: BatchTurn<number>, failing = new FailingProducts()): Promise<MemberResult<ExpireHoldResult>[]> {
  const holdIds = turn.take();
  const now = deps.clock.now();
  const rows = await deps.db.hold.findMany({ where: { id: { in: holdIds } }, select: { id: true, productId: true, status: true, expiresAt: true } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const due = rows.filter((row) => row.status === 'active' && isDue(row.expiresAt, now));
  const dueIds = new Set(due.map((row) => row.id));
  let expired = new Set<number>();
  let snapshots = new Map<number, ProductSnapshot>();
  // Every product these jobs touch, their own hold already ended or not: when jobs run behind
  // (a crowd due at once), the one in hand may be for a hold expired a moment ago by an earlier
  // batch, while newer ones of its product have come due since.
  const productIds = [...new Set(rows.map((row) => row.productId))];
  const alongside = productIds.length
    ? await deps.db.hold.findMany({
        where: { productId: { in: productIds }, status: 'active', expiresAt: { lte: now } },
        select: { id: true, productId: true },
        orderBy: { id: 'asc' },
        take: BULK_EXPIRY_LIMIT,
      })
    : [];
  const failedProducts = new Map<number, unknown>();
  if (due.length > 0 || alongside.length > 0) {
    const toExpire = [...due.map((row) => ({ ...row, own: true })), ...alongside.map((row) => ({ ...row, own: false }))];
    // The next batch may begin once every transaction of this one has ended, while their
    // reports finish: the line keeps at most two batches in their transactions.
    const { done, failed } = await productByProduct(
      deps,
      toExpire,
      failing,
      (holds, attempt, reporting) =>
        expireHolds(deps, holds.filter((hold) => hold.own).map((hold) => hold.id), {
          by: 'job',
          skipLocked: false,
          alsoIfFree: holds.filter((hold) => !hold.own).map((hold) => hold.id),
          maxAttempts: attempt.failedBefore ? 1 : undefined,
          reporting,
        }),
      { committed: turn.committed },
    );
    expired = new Set(done.flatMap((result) => result.expired.map((hold) => hold.id)));
    snapshots = new Map(done.flatMap((result) => result.snapshots.map((snapshot) => [snapshot.id, snapshot] as const)));
    for (const { productId, error } of failed) failedProducts.set(productId, error);
  } else {
    turn.committed();
  }
  return holdIds.map((id): MemberResult<ExpireHoldResult> => {
    const row = byId.get(id);
    if (!row) return { ok: true, value: { outcome: 'not_found' } };
    if (expired.has(id)) return { ok: true, value: { outcome: 'expired', snapshot: snapshots.get(row.productId)! } };
    // Its product failed, or is left alone after failing (productByProduct): the job fails and
    // BullMQ runs it again.
    if (failedProducts.has(row.productId) && dueIds.has(id)) return { ok: false, error: failedProducts.get(row.productId) };
    if (row.status === 'active' && !isDue(row.expiresAt, now)) return { ok: true, value: { outcome: 'not_due', expiresAt: row.expiresAt } };
    return { ok: true, value: { outcome: 'not_active' } };
  });
}

// Most holds expired alongside in one transaction; more wait for the next job or sweep.
const BULK_EXPIRY_LIMIT = 2_000;

export interface HoldExpiryBatcher {
  /** A hold-expiry job's work, done in the worker's next expiry batch. */
  expire(holdId: number): Promise<ExpireHoldResult>;
}

export function createHoldExpiryBatcher(deps: Deps, options: BatchLineOptions = { maxBatch: 1_000, maxWaiting: 100_000 }): HoldExpiryBatcher {
  const failing = new FailingProducts();
  const line = createBatchLine<'holds', number, ExpireHoldResult>(options, (_key, turn) => expireDueHoldsTogether(deps, turn, failing));
  return { expire: (holdId) => line.submit('holds', holdId) };
}

export type ExpireHoldResult =
  | { outcome: 'expired'; snapshot: ProductSnapshot }
  | { outcome: 'not_found' | 'not_active' }
  | { outcome: 'not_due'; expiresAt: Date };

/** One hold's expiry job: expireHolds for that hold, told as one outcome. */
export async function expireHold(deps: Deps, holdId: number): Promise<ExpireHoldResult> {
  const { expired, notDue, snapshots } = await expireHolds(deps, [holdId], { by: 'job', skipLocked: false });
  if (expired.length === 1) return { outcome: 'expired', snapshot: snapshots[0]! };
  if (notDue.length === 1) return { outcome: 'not_due', expiresAt: notDue[0]!.expiresAt };
  const exists = await deps.db.hold.count({ where: { id: holdId } });
  return { outcome: exists ? 'not_active' : 'not_found' };
}
