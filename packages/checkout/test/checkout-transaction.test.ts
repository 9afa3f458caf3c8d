import { describe, expect, it } from 'vitest';
import type { Db, Tx } from '@flash-sale/db';
import type { Logger } from '@flash-sale/logger';
import { runCheckoutTransaction } from '../src/checkout-transaction.ts';
import type { LockedProduct } from '../src/lock-order.ts';
import type { ProductCache } from '../src/products/product-cache.ts';
import { takeStock } from '../src/products/products-sql.ts';

// Which failures count as a COMMIT in doubt, on a scripted transaction: each attempt runs the
// work or not, then fails as the script says. What the real stores do in each case is in
// apps/api/test/commit-in-doubt.test.ts.

const adapterError = (code: number) => Object.assign(new Error(`mysql ${code}`), { name: 'DriverAdapterError', cause: { kind: 'mysql', code } });
const LOST_COMMIT = adapterError(45009); // the socket closed under the COMMIT
const DEADLOCK = adapterError(1213);
const PRISMA_TRANSACTION_CLOSED = Object.assign(new Error('Transaction already closed'), { name: 'PrismaClientKnownRequestError', code: 'P2028' });
const CANNOT_CONNECT = Object.assign(new Error("Can't reach database server"), { name: 'PrismaClientKnownRequestError', code: 'P1001' });

const product: LockedProduct = { id: 7, code: 'P-7', name: 'P', price: { toFixed: () => '1.00' }, totalStock: 10, availableStock: 10, stockVersion: 4 };

/** Each attempt: run the work first or not, then fail with the error. */
function scriptedStores(attempts: { runsWork: boolean; fails: Error }[]) {
  const forgotten: [number, number | undefined][] = [];
  const warnings: string[] = [];
  const db = {
    async $transaction(work: (tx: Tx) => Promise<unknown>) {
      const attempt = attempts.shift()!;
      if (attempt.runsWork) await work({ $executeRaw: async () => 1 } as unknown as Tx);
      throw attempt.fails;
    },
  } as unknown as Db;
  const productCache = { forget: async (id: number, version?: number) => void forgotten.push([id, version]) } as unknown as ProductCache;
  const logger = { warn: (_fields: object, message: string) => warnings.push(message), error: () => undefined } as unknown as Logger;
  return { deps: { db, productCache, logger }, forgotten, warnings };
}

async function run(attempts: { runsWork: boolean; fails: Error }[], inDoubt: () => Promise<void> = async () => undefined) {
  const stores = scriptedStores(attempts);
  const inDoubtCalls: unknown[] = [];
  const failure = await runCheckoutTransaction(stores.deps, async (tx) => (await takeStock(tx, product, 2)).stockVersion, {
    inDoubt: async (result) => {
      inDoubtCalls.push(result);
      await inDoubt();
    },
  }).then(
    () => 'committed',
    (error: { code?: string }) => error.code,
  );
  return { failure, inDoubtCalls, forgotten: stores.forgotten, warnings: stores.warnings };
}

describe('runCheckoutTransaction', () => {
  it('a COMMIT lost after the work finished is in doubt: the snapshot is dropped keeping the version it would give, and inDoubt gets the result', async () => {
    const outcome = await run([{ runsWork: true, fails: LOST_COMMIT }]);
    expect(outcome.failure).toBe('service_unavailable');
    expect(outcome.forgotten).toEqual([[7, 5]]);
    expect(outcome.inDoubtCalls).toEqual([5]);
    expect(outcome.warnings).toEqual(['COMMIT sent but not answered; it may have taken effect']);
  });

  it('MySQL gone before the work finished is not: nothing changed, the cache is left alone', async () => {
    const outcome = await run([{ runsWork: false, fails: CANNOT_CONNECT }]);
    expect(outcome).toEqual({ failure: 'service_unavailable', inDoubtCalls: [], forgotten: [], warnings: [] });
  });

  it("Prisma's own end of the transaction (P2028: timed out, or closed) is not: no COMMIT was sent", async () => {
    const outcome = await run([{ runsWork: true, fails: PRISMA_TRANSACTION_CLOSED }]);
    expect(outcome).toEqual({ failure: 'service_unavailable', inDoubtCalls: [], forgotten: [], warnings: [] });
  });

  it('an attempt rolled back and run again is not, when the next attempt fails before its work', async () => {
    const outcome = await run([
      { runsWork: true, fails: DEADLOCK },
      { runsWork: false, fails: CANNOT_CONNECT },
    ]);
    expect(outcome).toEqual({ failure: 'service_unavailable', inDoubtCalls: [], forgotten: [], warnings: [] });
  });

  it('a COMMIT refused as a deadlock victim on every attempt is not: each was rolled back for certain', async () => {
    const outcome = await run(Array.from({ length: 4 }, () => ({ runsWork: true, fails: DEADLOCK })));
    expect(outcome).toEqual({ failure: 'service_unavailable', inDoubtCalls: [], forgotten: [], warnings: [] });
  });

  it('an inDoubt that fails does not replace the 503', async () => {
    const outcome = await run([{ runsWork: true, fails: LOST_COMMIT }], async () => {
      throw new Error('Redis refused');
    });
    expect(outcome.failure).toBe('service_unavailable');
    expect(outcome.forgotten).toEqual([[7, 5]]);
  });
});
