import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listProducts, type CheckoutDeps } from '@flash-sale/checkout';
import { errorResponses, IdParams } from '../schemas/common.ts';
import { Product, ProductListQuery, ProductPage } from '../schemas/products.ts';
import { presentProduct } from '../presenters/present.ts';

export const productRoutes: FastifyPluginAsyncTypebox<{ deps: CheckoutDeps }> = async (app, { deps }) => {
  app.get('', {
    schema: { tags: ['products'], querystring: ProductListQuery, response: { 200: ProductPage, ...errorResponses(400, 503) } },
    handler: async (request) => {
      const page = await listProducts(deps, { limit: request.query.limit ?? 20, cursor: request.query.cursor });
      return { items: page.items.map(presentProduct), next_cursor: page.nextCursor };
    },
  });

  app.get('/:id', {
    schema: { tags: ['products'], params: IdParams, response: { 200: Product, ...errorResponses(400, 404, 503) } },
    handler: async (request) => presentProduct(await deps.productReader.get(request.params.id)),
  });
};
