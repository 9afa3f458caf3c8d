import { HoldNotFoundError } from '@flash-sale/errors';
import type { CheckoutDeps } from '../deps.ts';
import { toHoldView, type HoldView } from './hold-view.ts';

export async function getHold(deps: Pick<CheckoutDeps, 'db' | 'clock'>, holdId: number): Promise<HoldView> {
  const hold = await deps.db.hold.findUnique({ where: { id: holdId }, include: { order: { select: { id: true } } } });
  if (!hold) throw new HoldNotFoundError(holdId);
  return toHoldView(hold, hold.order?.id ?? null, deps.clock.now());
}
