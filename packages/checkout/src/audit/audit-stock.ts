import type { Db } from '@flash-sale/db';
import type { Clock } from '../clock.ts';
import { readStockLedger, type StockLedgerRow } from './stock-ledger.ts';

export interface ProductAudit extends StockLedgerRow {
  ok: boolean;
}

export interface OverdueHold {
  holdId: number;
  productId: number;
  qty: number;
  expiresAt: Date;
}

export interface StockAudit {
  products: ProductAudit[];
  /** How many active holds are more than `overdueAfterSeconds` past expires_at: expiry is not keeping up. */
  overdueHoldCount: number;
  /** The first OVERDUE_HOLDS_LISTED of them, longest overdue first. */
  overdueHolds: OverdueHold[];
  /** Active holds without a live hold-expiry job: missing, or already finished (only the sweeper will expire them). */
  holdsWithoutJob: number[];
  /** Stored request-idempotency keys, and those past their 24 h that the sweeper has yet to purge. */
  idempotencyKeys: { stored: number; pastRetention: number };
  ok: boolean;
}

const JOB_SETTLE_SECONDS = 10;
const OVERDUE_HOLDS_LISTED = 1_000;

/**
 * Checks every product's available_stock against the ledger (stock-ledger.ts), and that expiry
 * keeps up: no active hold long overdue, none without its job.
 */
export async function auditStock(
  deps: { db: Db; clock: Clock; activeHoldsWithoutJob: (holdIds: number[]) => Promise<number[]> },
  options: { overdueAfterSeconds?: number } = {},
): Promise<StockAudit> {
  const products = (await readStockLedger(deps.db)).map((row): ProductAudit => ({ ...row, ok: row.expected === row.availableStock }));

  const overdueBefore = new Date(deps.clock.now().getTime() - (options.overdueAfterSeconds ?? 60) * 1000);
  const overdueWhere = { status: 'active' as const, expiresAt: { lt: overdueBefore } };
  // One transaction, so that the list and its count read the same snapshot under live traffic.
  const [overdue, overdueHoldCount] = await deps.db.$transaction([
    deps.db.hold.findMany({
      where: overdueWhere,
      select: { id: true, productId: true, qty: true, expiresAt: true },
      orderBy: { expiresAt: 'asc' },
      take: OVERDUE_HOLDS_LISTED,
    }),
    deps.db.hold.count({ where: overdueWhere }),
  ]);
  // A hold's job is added just after its transaction commits, and a released hold's job is
  // removed: under live traffic only holds old enough to have their job, and still active after
  // the lookup, count as missing one.
  const settledBefore = new Date(deps.clock.now().getTime() - JOB_SETTLE_SECONDS * 1000);
  const active = await deps.db.hold.findMany({ where: { status: 'active', createdAt: { lte: settledBefore } }, select: { id: true } });
  const withoutJob = await deps.activeHoldsWithoutJob(active.map((hold) => hold.id));
  const stillActive = withoutJob.length
    ? await deps.db.hold.findMany({ where: { id: { in: withoutJob }, status: 'active' }, select: { id: true } })
    : [];
  const holdsWithoutJob = stillActive.map((hold) => hold.id);
  const overdueHolds = overdue.map((hold) => ({ holdId: hold.id, productId: hold.productId, qty: hold.qty, expiresAt: hold.expiresAt }));
  const [stored, pastRetention] = await Promise.all([
    deps.db.idempotencyKey.count(),
    deps.db.idempotencyKey.count({ where: { expiresAt: { lte: deps.clock.now() } } }),
  ]);
  return {
    products,
    overdueHoldCount,
    overdueHolds,
    holdsWithoutJob,
    // Informational: the sweeper purges them in batches; a growing count means no worker runs.
    idempotencyKeys: { stored, pastRetention },
    ok: products.every((product) => product.ok) && overdueHoldCount === 0 && holdsWithoutJob.length === 0,
  };
}
