import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ProcessMetrics } from '@flash-sale/metrics';

export const operationsRoutes: FastifyPluginAsyncTypebox<{ metrics: ProcessMetrics }> = async (app, { metrics }) => {
  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      description: 'Prometheus text format: requests and latencies by route and status, holds, orders, payment events, queue depths.',
      response: { 200: Type.String() },
    },
    handler: async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  });

  app.get('/docs', {
    schema: {
      tags: ['operations'],
      description: 'The OpenAPI document of this API, generated from the route schemas.',
      response: { 200: Type.Object({}, { additionalProperties: true }) },
    },
    handler: async () => app.swagger(),
  });
};
