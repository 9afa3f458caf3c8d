import { auditStock, systemClock } from '@flash-sale/checkout';
import { expect, vi } from 'vitest';
import type { FaultStack } from './stack.ts';
import { runCli } from './stack.ts';

/**
 * The ledger, exact: for every product, available_stock = total − active holds − pending/paid
 * orders in MySQL (the audit's own ledger query, auditStock), and the cached snapshot (where
 * there is one) says the same once the write-throughs on their way have landed: a process writes
 * through after its commit, and answers (or completes its job) only after that, so MySQL may
 * show a change for a moment before the cache does. Right after a process was killed between a
 * commit and its write-through, the cache may lag behind a change whose caller never got an
 * answer (so could not have observed it) until the product's next change: `cache: false` checks
 * MySQL alone then.
 */
export async function expectLedgerExact(stack: Pick<FaultStack, 'db' | 'redisClient' | 'prefix'>, options: { cache: boolean } = { cache: true }): Promise<void> {
  const audit = await auditStock({ db: stack.db, clock: systemClock, activeHoldsWithoutJob: async () => [] });
  for (const product of audit.products) {
    expect({ product: product.productId, available: product.availableStock }).toEqual({ product: product.productId, available: product.expected });
    if (!options.cache) continue;
    await vi.waitFor(
      async () => {
        const cached = await stack.redisClient.hget(`${stack.prefix}:product:${product.productId}`, 'd');
        if (cached) {
          expect({ product: product.productId, cached: JSON.parse(cached).availableStock }).toEqual({ product: product.productId, cached: product.availableStock });
        }
      },
      { timeout: 5_000, interval: 50 },
    );
  }
}

/** `flash-sale audit` on the case's stores: clean (exit 0). */
export async function expectAuditClean(stack: FaultStack): Promise<void> {
  const result = await runCli(stack, ['audit', '--json']);
  expect(result.status, `audit exit code (stdout: ${result.stdout.slice(0, 2000)}; stderr: ${result.stderr.trim()})`).toBe(0);
  expect(JSON.parse(result.stdout).ok).toBe(true);
}
