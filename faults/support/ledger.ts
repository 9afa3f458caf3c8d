import { expect } from 'vitest';
import type { FaultStack } from './stack.ts';
import { runCli } from './stack.ts';

interface LedgerRow {
  id: number;
  totalStock: number;
  availableStock: number;
  held: unknown;
  ordered: unknown;
}

/**
 * The ledger, exact: for every product, available_stock = total − active holds − pending/paid
 * orders in MySQL, and the cached snapshot (where there is one) says the same. Right after a
 * process was killed between a commit and its write-through, the cache may lag behind a change
 * whose caller never got an answer (so could not have observed it) until the product's next
 * change: `cache: false` checks MySQL alone then.
 */
export async function expectLedgerExact(stack: FaultStack, options: { cache: boolean } = { cache: true }): Promise<void> {
  const rows = await stack.db.$queryRaw<LedgerRow[]>`
    SELECT p.id, p.total_stock AS totalStock, p.available_stock AS availableStock,
           (SELECT COALESCE(SUM(h.qty), 0) FROM holds h WHERE h.product_id = p.id AND h.status = 'active') AS held,
           (SELECT COALESCE(SUM(o.qty), 0) FROM orders o WHERE o.product_id = p.id AND o.status IN ('pending', 'paid')) AS ordered
    FROM products p ORDER BY p.id`;
  for (const row of rows) {
    const expected = row.totalStock - Number(row.held) - Number(row.ordered);
    expect({ product: row.id, available: row.availableStock }).toEqual({ product: row.id, available: expected });
    if (!options.cache) continue;
    const cached = await stack.redisClient.hget(`${stack.prefix}:product:${row.id}`, 'd');
    if (cached) expect({ product: row.id, cached: JSON.parse(cached).availableStock }).toEqual({ product: row.id, cached: row.availableStock });
  }
}

/** `flash-sale audit` on the case's stores: clean (exit 0). */
export async function expectAuditClean(stack: FaultStack): Promise<void> {
  const result = await runCli(stack, ['audit', '--json']);
  expect(result.status, `audit exit code (stdout: ${result.stdout.slice(0, 2000)}; stderr: ${result.stderr.trim()})`).toBe(0);
  expect(JSON.parse(result.stdout).ok).toBe(true);
}
