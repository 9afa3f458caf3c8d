import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createOrder, getOrder, type CheckoutDeps, type OrderView } from '@flash-sale/checkout';
import { errorResponses, IdempotencyKeyHeaders, IdParams } from '../schemas/common.ts';
import { CreateOrderBody, Order } from '../schemas/orders.ts';
import { presentOrder } from '../presenters/present.ts';
import { replyIdempotently } from './idempotent-reply.ts';

export const orderRoutes: FastifyPluginAsyncTypebox<{ deps: CheckoutDeps }> = async (app, { deps }) => {
  app.post('', {
    schema: {
      tags: ['orders'],
      headers: IdempotencyKeyHeaders,
      body: CreateOrderBody,
      response: { 201: Order, ...errorResponses(400, 404, 409, 413, 415, 422, 503) },
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
    schema: { tags: ['orders'], params: IdParams, response: { 200: Order, ...errorResponses(400, 404, 503) } },
    handler: async (request) => presentOrder(await getOrder(deps, request.params.id)),
  });
};
