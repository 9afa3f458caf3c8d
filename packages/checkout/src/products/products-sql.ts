import { Prisma, type Tx } from '@flash-sale/db';
import { lockProducts, type LockedProduct } from '../lock-order.ts';
import { toProductSnapshot, type ProductSnapshot } from './product-snapshot.ts';

// The products table's raw SQL, all of it (the locking reads are in lock-order.ts): the only
// ways stock moves. Each runs inside the caller's transaction with the product rows locked,
// bumps stock_version (which orders the cache snapshots), returns the new snapshots for the
// caller to write through to the cache after commit, and notes the products it changed in that
// transaction (for a COMMIT in doubt: checkout-transaction.ts).

// Per transaction: each product whose stock it moved, with the stock_version that gives it.
const stockMovedIn = new WeakMap<Tx, Map<number, number>>();

function noted(tx: Tx, snapshots: ProductSnapshot[]): ProductSnapshot[] {
  const moved = stockMovedIn.get(tx) ?? new Map<number, number>();
  for (const { id, stockVersion } of snapshots) moved.set(id, Math.max(stockVersion, moved.get(id) ?? 0));
  stockMovedIn.set(tx, moved);
  return snapshots;
}

/** The products whose stock this transaction moved so far, each with the version it gives them. */
export function stockMovesIn(tx: Tx): { productId: number; stockVersion: number }[] {
  return [...(stockMovedIn.get(tx) ?? new Map<number, number>())].map(([productId, stockVersion]) => ({ productId, stockVersion }));
}

/** Takes `qty` from a product the caller has locked and checked. */
export async function takeStock(tx: Tx, product: LockedProduct, qty: number): Promise<ProductSnapshot> {
  await tx.$executeRaw`
    UPDATE products
    SET available_stock = available_stock - ${qty}, stock_version = stock_version + 1, updated_at = NOW(3)
    WHERE id = ${product.id}`;
  return noted(tx, [toProductSnapshot({ ...product, availableStock: product.availableStock - qty, stockVersion: product.stockVersion + 1 })])[0]!;
}

/** Gives `qty` back to a product (a hold released or expired, an order cancelled). */
export async function returnStock(tx: Tx, productId: number, qty: number): Promise<ProductSnapshot> {
  const [snapshot] = await returnStockInBulk(tx, [{ productId, qty }]);
  if (!snapshot) throw new Error(`Product ${productId} vanished while stock was being returned to it.`);
  return snapshot;
}

/**
 * Gives stock back to several products in one locking read and one UPDATE, however many holds or
 * orders it comes from (the sweeper's batches): no statement per row.
 */
export async function returnStockInBulk(tx: Tx, returns: { productId: number; qty: number }[]): Promise<ProductSnapshot[]> {
  const qtyByProduct = new Map<number, number>();
  for (const { productId, qty } of returns) qtyByProduct.set(productId, (qtyByProduct.get(productId) ?? 0) + qty);
  const products = await lockProducts(tx, [...qtyByProduct.keys()]);
  if (products.length === 0) return [];

  const ids = products.map((product) => product.id);
  const increments = Prisma.join(
    products.map((product) => Prisma.sql`WHEN ${product.id} THEN ${qtyByProduct.get(product.id)!}`),
    ' ',
  );
  await tx.$executeRaw`
    UPDATE products
    SET available_stock = available_stock + CASE id ${increments} END,
        stock_version = stock_version + 1, updated_at = NOW(3)
    WHERE id IN (${Prisma.join(ids)})`;
  return noted(
    tx,
    products.map((product) =>
      toProductSnapshot({
        ...product,
        availableStock: product.availableStock + qtyByProduct.get(product.id)!,
        stockVersion: product.stockVersion + 1,
      }),
    ),
  );
}

/** Sets a locked product's available stock to `availableStock` (the audit's repair, from the ledger). */
export async function setAvailableStock(tx: Tx, product: LockedProduct, availableStock: number): Promise<ProductSnapshot> {
  await tx.$executeRaw`
    UPDATE products SET available_stock = ${availableStock}, stock_version = stock_version + 1, updated_at = NOW(3)
    WHERE id = ${product.id}`;
  return noted(tx, [toProductSnapshot({ ...product, availableStock, stockVersion: product.stockVersion + 1 })])[0]!;
}
