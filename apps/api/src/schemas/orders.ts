import { Type } from '@sinclair/typebox';
import { CancelReason, OrderStatus } from '@flash-sale/db';
import { Id, Money, oneOf, Timestamp } from './common.ts';
import { documented } from './documented.ts';

export const CreateOrderBody = documented(Type.Object({ hold_id: Id }, { additionalProperties: false }), { hold_id: 42 });

export const Order = documented(
  Type.Object(
  {
    order_id: Id,
    hold_id: Id,
    product_id: Id,
    qty: Type.Integer(),
    amount: Money,
    status: oneOf(OrderStatus),
    cancel_reason: Type.Union([oneOf(CancelReason), Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { description: 'The order.' },
  ),
  {
    order_id: 7, hold_id: 42, product_id: 1, qty: 2, amount: '398.00', status: 'pending', cancel_reason: null,
    created_at: '2026-11-21T10:00:30.000Z', updated_at: '2026-11-21T10:00:30.000Z',
  },
);
