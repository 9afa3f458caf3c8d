import { Type } from '@sinclair/typebox';
import { Id, Timestamp } from './common.ts';

/** qty's ceiling is MAX_QTY_PER_HOLD, so the body schema is made from the config. */
export function createHoldBody(maxQtyPerHold: number) {
  return Type.Object(
    { product_id: Id, qty: Type.Integer({ minimum: 1, maximum: maxQtyPerHold }) },
    { additionalProperties: false },
  );
}

export const Hold = Type.Object({
  hold_id: Id,
  product_id: Id,
  qty: Type.Integer(),
  status: Type.Union([Type.Literal('active'), Type.Literal('used'), Type.Literal('expired'), Type.Literal('released')]),
  expires_at: Timestamp,
  order_id: Type.Union([Id, Type.Null()]),
});
