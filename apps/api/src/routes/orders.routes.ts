import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createOrder, getOrder, type CheckoutDeps, type OrderView } from '@flash-sale/checkout';
import { anyRouteErrors, bodyErrors, idempotencyErrors, invalidIdExample, errorResponses, IdempotencyKeyHeaders, IdParams } from '../schemas/common.ts';
import { CreateOrderBody, Order } from '../schemas/orders.ts';
import { presentOrder } from '../presenters/present.ts';
import { replyIdempotently } from './idempotent-reply.ts';

export const orderRoutes: FastifyPluginAsyncTypebox<{ deps: CheckoutDeps }> = async (app, { deps }) => {
  app.post('', {
    schema: {
      tags: ['orders'],
      summary: 'Make an order from an active hold (at most one order per hold, ever)',
      description: 'The order is `pending` until the payment webhook decides it, or cancelled with `payment_timeout` at its `payment_deadline`.',
      headers: IdempotencyKeyHeaders,
      body: CreateOrderBody,
      response: { 201: Order, ...errorResponses(['validation_failed', ...bodyErrors, 'hold_not_found', 'hold_expired', 'hold_already_used', 'hold_released', ...idempotencyErrors, ...anyRouteErrors]) },
    },
    handler: async (request, reply) =>
      replyIdempotently<OrderView>(
        deps,
        request,
        reply,
        (completion) => createOrder(deps, request.body.hold_id, { beforeCommit: completion?.beforeCommit }),
        (order) => ({ status: 201, body: presentOrder(order) }),
      ),
  });

  app.get('/:id', {
    schema: { tags: ['orders'], summary: 'One order and its status', params: IdParams, response: { 200: Order, ...errorResponses(['validation_failed', 'order_not_found', ...anyRouteErrors], invalidIdExample) } },
    handler: async (request) => presentOrder(await getOrder(deps, request.params.id)),
  });
};
