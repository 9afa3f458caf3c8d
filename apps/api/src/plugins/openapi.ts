import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';

/** The OpenAPI document, built from the route schemas (served at GET /docs). */
export const openApiPlugin = fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Flash-sale checkout',
        version: '1.0.0',
        description: 'Holds that never oversell, orders, and a signed payment webhook. The rules in prose: docs/api.md in the repository.',
      },
      tags: [
        { name: 'products' },
        { name: 'holds' },
        { name: 'orders' },
        { name: 'payments' },
        { name: 'health' },
        { name: 'operations' },
      ],
    },
  });
});
