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
  /** The stock set, or null when it was refused. */
  after: number | null;
  /** Why nothing was set: the ledger's stock is outside 0..total_stock, which no available_stock can be. */
  refused?: string;
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
    if (expected < 0 || expected > product.totalStock) {
      // More held and ordered than the total (a total_stock lowered by hand, say): the CHECK
      // refuses any such stock, and which number is wrong is a person's call.
      const refused = `its ledger says ${expected}, outside 0..${product.totalStock} (total_stock): correct total_stock, or the holds and orders, by hand`;
      return { repair: { productId, code: product.code, before: product.availableStock, after: null, refused }, snapshot: undefined };
    }
    const snapshot = await setAvailableStock(tx, product, expected);
    return { repair: { productId, code: product.code, before: product.availableStock, after: expected }, snapshot };
  });
  if (!result) return undefined;
  if (!result.snapshot) {
    deps.logger.warn({ ...result.repair }, 'product stock left as it is: its ledger is out of range');
    return result.repair;
  }
  await publishCommit(deps, { changes: [{ message: 'product stock repaired from the ledger', fields: { ...result.repair }, level: 'warn' }], snapshots: [result.snapshot] });
  return result.repair;
}
