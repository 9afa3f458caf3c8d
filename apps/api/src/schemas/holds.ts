import { Type } from '@sinclair/typebox';
import { HoldStatus } from '@flash-sale/db';
import { Id, oneOf, Timestamp } from './common.ts';
import { documented } from './documented.ts';

/** qty's ceiling is MAX_QTY_PER_HOLD, so the body schema is made from the config. */
export function createHoldBody(maxQtyPerHold: number) {
  return documented(
    Type.Object({ product_id: Id, qty: Type.Integer({ minimum: 1, maximum: maxQtyPerHold }) }, { additionalProperties: false }),
    { product_id: 1, qty: 2 },
  );
}

export const Hold = documented(Type.Object(
  {
    hold_id: Id,
    product_id: Id,
    qty: Type.Integer(),
    status: oneOf(HoldStatus),
    expires_at: Timestamp,
    order_id: Type.Union([Id, Type.Null()]),
  },
  { description: 'The hold. A hold whose expires_at has passed reads as expired.' },
), { hold_id: 42, product_id: 1, qty: 2, status: 'active', expires_at: '2026-11-21T10:02:00.000Z', order_id: null });
