import type { HoldStatus } from '@flash-sale/db';

export type { HoldStatus };

/** How a hold stops holding stock without becoming an order: it ran out, or it was let go. */
export type EndedHoldStatus = Extract<HoldStatus, 'expired' | 'released'>;

export interface HoldView {
  id: number;
  productId: number;
  qty: number;
  status: HoldStatus;
  expiresAt: Date;
  orderId: number | null;
}

/**
 * A hold as clients see it: one whose expires_at has passed reads as expired (and can never be
 * used) even before a worker has marked it so.
 */
export function toHoldView(
  hold: { id: number; productId: number; qty: number; status: HoldStatus; expiresAt: Date },
  orderId: number | null,
  now: Date,
): HoldView {
  const status = hold.status === 'active' && isDue(hold.expiresAt, now) ? 'expired' : hold.status;
  return { id: hold.id, productId: hold.productId, qty: hold.qty, status, expiresAt: hold.expiresAt, orderId };
}

export function isDue(expiresAt: Date, now: Date): boolean {
  return expiresAt.getTime() <= now.getTime();
}
