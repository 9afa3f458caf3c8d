import type { CancelReason, OrderStatus } from '@flash-sale/db';

export type { CancelReason, OrderStatus };

/** The states an order ends in. */
export type FinalOrderStatus = Exclude<OrderStatus, 'pending'>;

export interface OrderView {
  id: number;
  holdId: number;
  productId: number;
  qty: number;
  /** Decimal string with two places. */
  amount: string;
  status: OrderStatus;
  cancelReason: CancelReason | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toOrderView(row: {
  id: number;
  holdId: number;
  productId: number;
  qty: number;
  amount: { toFixed(places: number): string };
  status: OrderStatus;
  cancelReason: CancelReason | null;
  createdAt: Date;
  updatedAt: Date;
}): OrderView {
  return {
    id: row.id,
    holdId: row.holdId,
    productId: row.productId,
    qty: row.qty,
    amount: row.amount.toFixed(2),
    status: row.status,
    cancelReason: row.cancelReason,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
