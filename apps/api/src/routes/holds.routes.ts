import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { getHold, releaseHold, type CheckoutDeps, type HoldBatcher, type HoldView } from '@flash-sale/checkout';
import { anyRouteErrors, bodyErrors, idempotencyErrors, invalidIdExample, errorResponses, IdempotencyKeyHeaders, IdParams } from '../schemas/common.ts';
import { createHoldBody, Hold } from '../schemas/holds.ts';
import { presentHold } from '../presenters/present.ts';
import { replyIdempotently } from './idempotent-reply.ts';

export const holdRoutes: FastifyPluginAsyncTypebox<{ deps: CheckoutDeps; holds: HoldBatcher; maxQtyPerHold: number }> = async (app, { deps, holds, maxQtyPerHold }) => {
  app.post('', {
    schema: {
      tags: ['holds'],
      summary: 'Hold qty units of a product for a short while (HOLD_TTL_SECONDS); never more than the stock left',
      headers: IdempotencyKeyHeaders,
      body: createHoldBody(maxQtyPerHold),
      response: { 201: Hold, ...errorResponses(['validation_failed', ...bodyErrors, 'product_not_found', 'insufficient_stock', ...idempotencyErrors, ...anyRouteErrors]) },
    },
    handler: async (request, reply) =>
      replyIdempotently<HoldView>(
        deps,
        request,
        reply,
        (completion) => holds.createHold({ productId: request.body.product_id, qty: request.body.qty }, { idempotency: completion }),
        (hold) => ({ status: 201, body: presentHold(hold) }),
        { replayMovedStock: true },
      ),
  });

  app.get('/:id', {
    schema: { tags: ['holds'], summary: 'One hold and its status', params: IdParams, response: { 200: Hold, ...errorResponses(['validation_failed', 'hold_not_found', ...anyRouteErrors], invalidIdExample) } },
    handler: async (request) => presentHold(await getHold(deps, request.params.id)),
  });

  app.delete('/:id', {
    schema: {
      tags: ['holds'],
      summary: 'Release a hold: its stock is available again at once',
      description: 'A hold already released or expired is returned unchanged (200); one an order used: 409 `hold_already_used`.',
      params: IdParams,
      response: { 200: Hold, ...errorResponses(['validation_failed', ...bodyErrors, 'hold_not_found', 'hold_already_used', ...anyRouteErrors], invalidIdExample) },
    },
    handler: async (request) => presentHold(await releaseHold(deps, request.params.id)),
  });
};
