import { Prisma, type DbOrTx } from '@flash-sale/db';

/** A product's stock beside its ledger: what available_stock is, and what it should be. */
export interface StockLedgerRow {
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
}

interface Row {
  productId: number;
  code: string;
  totalStock: number;
  availableStock: number;
  held: number | bigint | { toString(): string } | null;
  ordered: number | bigint | { toString(): string } | null;
}

// SUM comes back as a Decimal (or null for no rows).
const asNumber = (value: Row['held']) => Number(value === null ? 0 : value.toString());

/**
 * THE LEDGER: available_stock = total_stock − active holds − pending/paid orders, for every
 * product or for `productIds`. The stock and the sums come from one statement, so they are one
 * consistent snapshot even under live traffic (the audit), and read under the product's lock they
 * cannot move (the repair).
 */
export async function readStockLedger(db: DbOrTx, productIds?: number[]): Promise<StockLedgerRow[]> {
  if (productIds?.length === 0) return [];
  const rows = await db.$queryRaw<Row[]>`
    SELECT p.id AS productId, p.code, p.total_stock AS totalStock, p.available_stock AS availableStock,
           (SELECT SUM(h.qty) FROM holds h WHERE h.product_id = p.id AND h.status = 'active') AS held,
           (SELECT SUM(o.qty) FROM orders o WHERE o.product_id = p.id AND o.status IN ('pending', 'paid')) AS ordered
    FROM products p
    ${productIds ? Prisma.sql`WHERE p.id IN (${Prisma.join(productIds)})` : Prisma.empty}
    ORDER BY p.id`;
  return rows.map((row) => {
    const held = asNumber(row.held);
    const ordered = asNumber(row.ordered);
    return { productId: row.productId, code: row.code, totalStock: row.totalStock, availableStock: row.availableStock, held, ordered, expected: row.totalStock - held - ordered };
  });
}
