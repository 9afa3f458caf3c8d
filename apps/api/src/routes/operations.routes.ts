import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ProcessMetrics } from '@flash-sale/process';
import { anyRouteErrors, errorResponses } from '../schemas/common.ts';
import { documented } from '../schemas/documented.ts';

export const operationsRoutes: FastifyPluginAsyncTypebox<{ metrics: ProcessMetrics }> = async (app, { metrics }) => {
  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics of this process',
      produces: ['text/plain; version=0.0.4'],
      description: 'Prometheus text format: requests and latencies by route and status, holds, orders, payment events, queue depths.',
      // 503: while the instance shuts down.
      response: { 200: documented(Type.String(), 'flash_sale_holds_created_total{process="api"} 42'), ...errorResponses(anyRouteErrors) },
    },
    handler: async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  });
};
