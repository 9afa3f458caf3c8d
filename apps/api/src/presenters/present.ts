import type { HoldView, OrderView, ProductSnapshot } from '@flash-sale/checkout';
import type { Static } from '@sinclair/typebox';
import type { Hold } from '../schemas/holds.ts';
import type { Order } from '../schemas/orders.ts';
import type { Product } from '../schemas/products.ts';

// Domain views to the contract's JSON: snake_case, ISO-8601 UTC timestamps, money as strings.

export function presentProduct(product: ProductSnapshot): Static<typeof Product> {
  return {
    id: product.id,
    code: product.code,
    name: product.name,
    price: product.price,
    total_stock: product.totalStock,
    available_stock: product.availableStock,
  };
}

export function presentHold(hold: HoldView): Static<typeof Hold> {
  return {
    hold_id: hold.id,
    product_id: hold.productId,
    qty: hold.qty,
    status: hold.status,
    expires_at: hold.expiresAt.toISOString(),
    order_id: hold.orderId,
  };
}

export function presentOrder(order: OrderView): Static<typeof Order> {
  return {
    order_id: order.id,
    hold_id: order.holdId,
    product_id: order.productId,
    qty: order.qty,
    amount: order.amount,
    status: order.status,
    cancel_reason: order.cancelReason,
    created_at: order.createdAt.toISOString(),
    updated_at: order.updatedAt.toISOString(),
  };
}
