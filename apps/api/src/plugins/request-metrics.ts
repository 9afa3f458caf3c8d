import fp from 'fastify-plugin';
import type { ProcessMetrics } from '@flash-sale/process';

/** Counts every reply by method, route pattern (never the raw URL: bounded labels) and status. */
export const requestMetricsPlugin = fp<{ metrics: ProcessMetrics }>(async (app, { metrics }) => {
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
});
