import type { Tx } from '@flash-sale/db';

/** The id of the order a used hold became (0 only if the database is inconsistent). */
export async function orderIdOfHold(tx: Tx, holdId: number): Promise<number> {
  const order = await tx.order.findUnique({ where: { holdId }, select: { id: true } });
  return order?.id ?? 0;
}
