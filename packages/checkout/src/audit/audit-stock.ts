import type { Db } from '@flash-sale/db';
import type { Clock } from '../clock.ts';

export interface ProductAudit {
  productId: number;
  code: string;
  totalStock: number;
  availableStock: number;
  /** Units in active holds (overdue ones too: they hold stock until expired). */
  held: number;
  /** Units in pending or paid orders. */
  ordered: number;
  /** What available_stock should be: total − held − ordered. */
  expected: number;
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
  /** Active holds more than `overdueAfterSeconds` past expires_at: expiry is not keeping up. */
  overdueHolds: OverdueHold[];
  /** Active holds without a live hold-expiry job: missing, or already finished (only the sweeper will expire them). */
  holdsWithoutJob: number[];
  /** Stored request-idempotency keys, and those past their 24 h that the sweeper has yet to purge. */
  idempotencyKeys: { stored: number; pastRetention: number };
  ok: boolean;
}

interface LedgerRow {
  productId: number;
  code: string;
  totalStock: number;
  availableStock: number;
  held: number | bigint | { toString(): string } | null;
  ordered: number | bigint | { toString(): string } | null;
}

const JOB_SETTLE_SECONDS = 10;

const asNumber = (value: LedgerRow['held']) => Number(value === null ? 0 : value.toString());

/**
 * Checks every product's available_stock against the ledger:
 * available_stock = total_stock − active holds − pending/paid orders. The sums and the stock
 * come from one statement, so they are one consistent snapshot even under live traffic.
 */
export async function auditStock(
  deps: { db: Db; clock: Clock; activeHoldsWithoutJob: (holdIds: number[]) => Promise<number[]> },
  options: { overdueAfterSeconds?: number } = {},
): Promise<StockAudit> {
  const rows = await deps.db.$queryRaw<LedgerRow[]>`
    SELECT p.id AS productId, p.code, p.total_stock AS totalStock, p.available_stock AS availableStock,
           (SELECT SUM(h.qty) FROM holds h WHERE h.product_id = p.id AND h.status = 'active') AS held,
           (SELECT SUM(o.qty) FROM orders o WHERE o.product_id = p.id AND o.status IN ('pending', 'paid')) AS ordered
    FROM products p ORDER BY p.id`;
  const products = rows.map((row): ProductAudit => {
    const held = asNumber(row.held);
    const ordered = asNumber(row.ordered);
    const expected = row.totalStock - held - ordered;
    return { productId: row.productId, code: row.code, totalStock: row.totalStock, availableStock: row.availableStock, held, ordered, expected, ok: expected === row.availableStock };
  });

  const overdueBefore = new Date(deps.clock.now().getTime() - (options.overdueAfterSeconds ?? 60) * 1000);
  const overdue = await deps.db.hold.findMany({
    where: { status: 'active', expiresAt: { lt: overdueBefore } },
    select: { id: true, productId: true, qty: true, expiresAt: true },
    orderBy: { expiresAt: 'asc' },
    take: 1000,
  });
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
    overdueHolds,
    holdsWithoutJob,
    // Informational: the sweeper purges them in batches; a growing count means no worker runs.
    idempotencyKeys: { stored, pastRetention },
    ok: products.every((product) => product.ok) && overdueHolds.length === 0 && holdsWithoutJob.length === 0,
  };
}
