import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getHold, releaseHold, type CheckoutDeps, type HoldBatcher, type HoldView } from '@flash-sale/checkout';
import { errorResponses, IdempotencyKeyHeaders, IdParams } from '../schemas/common.ts';
import { createHoldBody, Hold } from '../schemas/holds.ts';
import { presentHold } from '../presenters/present.ts';
import { replyIdempotently } from './idempotent-reply.ts';

export const holdRoutes: FastifyPluginAsyncTypebox<{ deps: CheckoutDeps; holds: HoldBatcher; maxQtyPerHold: number }> = async (app, { deps, holds, maxQtyPerHold }) => {
  app.post('', {
    schema: {
      tags: ['holds'],
      headers: IdempotencyKeyHeaders,
      body: createHoldBody(maxQtyPerHold),
      response: { 201: Hold, ...errorResponses(400, 404, 409, 413, 415, 422, 503) },
    },
    handler: async (request, reply) =>
      replyIdempotently<HoldView>(
        deps,
        request,
        reply,
        (completion) => holds.createHold({ productId: request.body.product_id, qty: request.body.qty }, { idempotency: completion }),
        (hold) => ({ status: 201, body: presentHold(hold) }),
      ),
  });

  app.get('/:id', {
    schema: { tags: ['holds'], params: IdParams, response: { 200: Hold, ...errorResponses(400, 404, 503) } },
    handler: async (request) => presentHold(await getHold(deps, request.params.id)),
  });

  app.delete('/:id', {
    schema: { tags: ['holds'], params: IdParams, response: { 200: Hold, ...errorResponses(400, 404, 409, 503) } },
    handler: async (request) => presentHold(await releaseHold(deps, request.params.id)),
  });
};
