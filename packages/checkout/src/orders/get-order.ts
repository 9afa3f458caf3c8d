import { OrderNotFoundError } from '@flash-sale/errors';
import type { CheckoutDeps } from '../deps.ts';
import { toOrderView, type OrderView } from './order-view.ts';

export async function getOrder(deps: Pick<CheckoutDeps, 'db'>, orderId: number): Promise<OrderView> {
  const row = await deps.db.order.findUnique({ where: { id: orderId } });
  if (!row) throw new OrderNotFoundError(orderId);
  return toOrderView(row);
}
