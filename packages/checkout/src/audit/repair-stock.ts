import { runTransaction } from '@flash-sale/db';
import type { CheckoutDeps } from '../deps.ts';
import { lockProduct } from '../lock-order.ts';
import { toProductSnapshot } from '../products/product-snapshot.ts';

export interface StockRepair {
  productId: number;
  code: string;
  before: number;
  after: number;
}

/**
 * Sets a product's available_stock to what its ledger says (total − active holds − pending/paid
 * orders). The product row is locked first, and every path that changes stock needs that lock,
 * so the sums read under it cannot move until the fix commits. Returns undefined when the
 * product was already right.
 */
export async function repairProductStock(
  deps: Pick<CheckoutDeps, 'db' | 'productCache' | 'logger'>,
  productId: number,
): Promise<StockRepair | undefined> {
  const result = await runTransaction(deps.db, async (tx) => {
    const product = await lockProduct(tx, productId);
    if (!product) return undefined;
    const [sums] = await tx.$queryRaw<{ held: unknown; ordered: unknown }[]>`
      SELECT (SELECT COALESCE(SUM(qty), 0) FROM holds WHERE product_id = ${productId} AND status = 'active') AS held,
             (SELECT COALESCE(SUM(qty), 0) FROM orders WHERE product_id = ${productId} AND status IN ('pending', 'paid')) AS ordered`;
    const expected = product.totalStock - Number(String(sums!.held)) - Number(String(sums!.ordered));
    if (expected === product.availableStock) return undefined;
    await tx.$executeRaw`
      UPDATE products SET available_stock = ${expected}, stock_version = stock_version + 1, updated_at = NOW(3)
      WHERE id = ${productId}`;
    return {
      repair: { productId, code: product.code, before: product.availableStock, after: expected },
      snapshot: toProductSnapshot({ ...product, availableStock: expected, stockVersion: product.stockVersion + 1 }),
    };
  });
  if (!result) return undefined;
  await deps.productCache.writeThrough(result.snapshot);
  deps.logger.warn(result.repair, 'product stock repaired from the ledger');
  return result.repair;
}
