import { runTransaction } from '@flash-sale/db';
import type { CheckoutDeps } from '../deps.ts';
import { lockProduct } from '../lock-order.ts';
import { toProductSnapshot } from '../products/product-snapshot.ts';
import { readStockLedger } from './stock-ledger.ts';

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
    const [ledger] = await readStockLedger(tx, [productId]);
    const expected = ledger!.expected;
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
