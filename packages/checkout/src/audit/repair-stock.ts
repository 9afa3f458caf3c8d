import { runCheckoutTransaction } from '../checkout-transaction.ts';
import { publishCommit } from '../after-commit.ts';
import type { CheckoutDeps } from '../deps.ts';
import { lockProduct } from '../lock-order.ts';
import { setAvailableStock } from '../products/products-sql.ts';
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
  const result = await runCheckoutTransaction(deps, async (tx) => {
    const product = await lockProduct(tx, productId);
    if (!product) return undefined;
    const [ledger] = await readStockLedger(tx, [productId]);
    const expected = ledger!.expected;
    if (expected === product.availableStock) return undefined;
    const snapshot = await setAvailableStock(tx, product, expected);
    return { repair: { productId, code: product.code, before: product.availableStock, after: expected }, snapshot };
  });
  if (!result) return undefined;
  await publishCommit(deps, { changes: [{ message: 'product stock repaired from the ledger', fields: { ...result.repair }, level: 'warn' }], snapshots: [result.snapshot] });
  return result.repair;
}
