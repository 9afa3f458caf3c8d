import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listProducts, type CheckoutDeps } from '@flash-sale/checkout';
import { anyRouteErrors, errorResponses, IdParams, invalidIdExample } from '../schemas/common.ts';
import { invalidListQueryExample, Product, ProductListQuery, ProductPage } from '../schemas/products.ts';
import { presentProduct } from '../presenters/present.ts';

export const productRoutes: FastifyPluginAsyncTypebox<{ deps: CheckoutDeps }> = async (app, { deps }) => {
  app.get('', {
    schema: { tags: ['products'], summary: 'A page of products with their available stock, in id order', querystring: ProductListQuery, response: { 200: ProductPage, ...errorResponses(['validation_failed', ...anyRouteErrors], invalidListQueryExample) } },
    handler: async (request) => {
      const page = await listProducts(deps, { limit: request.query.limit ?? 20, cursor: request.query.cursor });
      return { items: page.items.map(presentProduct), next_cursor: page.nextCursor };
    },
  });

  app.get('/:id', {
    schema: { tags: ['products'], summary: 'One product with its available stock, never older than a change the caller could have seen', params: IdParams, response: { 200: Product, ...errorResponses(['validation_failed', 'product_not_found', ...anyRouteErrors], invalidIdExample) } },
    handler: async (request) => presentProduct(await deps.productReader.get(request.params.id)),
  });
};
