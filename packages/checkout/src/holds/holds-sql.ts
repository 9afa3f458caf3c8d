import { Prisma, type Tx } from '@flash-sale/db';
import type { EndedHoldStatus } from './hold-view.ts';

// The holds table's raw SQL, all of it (the locking reads are in lock-order.ts). Every function
// runs inside the caller's transaction, with the rows it changes locked as lock-order.ts ranks
// them; where stock moves too, after the product's UPDATE (the foreign-key rule there).

/**
 * Inserts one hold per qty, in one multi-row INSERT, and returns their ids in the same order.
 * The ids are read back, not derived: MySQL 8's default innodb_autoinc_lock_mode=2 does not
 * promise consecutive ids within one statement. The caller holds the product's row lock, and
 * every hold of a product is inserted under that lock, so the holds of this product with an id
 * at or above the statement's first id (LAST_INSERT_ID()) are exactly this statement's rows; a
 * multi-row INSERT assigns increasing ids in VALUES order.
 */
export async function insertHolds(tx: Tx, batch: { productId: number; qtys: number[]; expiresAt: Date }): Promise<number[]> {
  const rows = Prisma.join(batch.qtys.map((qty) => Prisma.sql`(${batch.productId}, ${qty}, 'active', ${batch.expiresAt}, NOW(3), NOW(3))`));
  await tx.$executeRaw`INSERT INTO holds (product_id, qty, status, expires_at, created_at, updated_at) VALUES ${rows}`;
  const inserted = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM holds
    WHERE product_id = ${batch.productId} AND status = 'active' AND id >= LAST_INSERT_ID()
    ORDER BY id`;
  if (inserted.length !== batch.qtys.length) {
    throw new Error(`Inserted ${batch.qtys.length} holds of product ${batch.productId} but read back ${inserted.length}.`);
  }
  return inserted.map((row) => Number(row.id));
}

/** Ends the holds that are still active (expired or released); the caller has given their stock back. */
export async function endActiveHolds(tx: Tx, holdIds: number[], to: EndedHoldStatus): Promise<void> {
  if (holdIds.length === 0) return;
  await tx.$executeRaw`
    UPDATE holds SET status = ${to}, updated_at = NOW(3)
    WHERE id IN (${Prisma.join(holdIds)}) AND status = 'active'`;
}

/** Marks an active hold used by the order just made from it. */
export async function markHoldUsed(tx: Tx, holdId: number): Promise<void> {
  await tx.$executeRaw`UPDATE holds SET status = 'used', updated_at = NOW(3) WHERE id = ${holdId}`;
}
