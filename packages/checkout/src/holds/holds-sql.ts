import { Prisma, type Tx } from '@flash-sale/db';
import type { EndedHoldStatus } from './hold-view.ts';

// The holds table's raw SQL, all of it (the locking reads are in lock-order.ts). Every function
// runs inside the caller's transaction, with the rows it changes locked as lock-order.ts ranks
// them; where stock moves too, after the product's UPDATE (the foreign-key rule there).

/**
 * Inserts the holds of a batch in one multi-row INSERT, each under the id the caller took for
 * it from the process's HoldIdAllocator (hold-ids.ts): nothing is read back.
 */
export async function insertHolds(tx: Tx, batch: { productId: number; holds: { id: number; qty: number }[]; expiresAt: Date }): Promise<void> {
  const rows = Prisma.join(batch.holds.map((hold) => Prisma.sql`(${hold.id}, ${batch.productId}, ${hold.qty}, 'active', ${batch.expiresAt}, NOW(3), NOW(3))`));
  await tx.$executeRaw`INSERT INTO holds (id, product_id, qty, status, expires_at, created_at, updated_at) VALUES ${rows}`;
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
