import { Type } from '@sinclair/typebox';
import { Id, Money, Timestamp } from './common.ts';

export const CreateOrderBody = Type.Object({ hold_id: Id }, { additionalProperties: false });

export const Order = Type.Object({
  order_id: Id,
  hold_id: Id,
  product_id: Id,
  qty: Type.Integer(),
  amount: Money,
  status: Type.Union([Type.Literal('pending'), Type.Literal('paid'), Type.Literal('cancelled')]),
  cancel_reason: Type.Union([Type.Literal('payment_failed'), Type.Literal('payment_timeout'), Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
});
