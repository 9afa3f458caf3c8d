import fp from 'fastify-plugin';

/**
 * One log line per request, at info, when it is answered: method, URL, status and time, with
 * the request id (Fastify's own logging, off in app.ts, writes two). Its arrival is a debug line,
 * for following a request that has not answered yet.
 */
export const requestLogPlugin = fp(async (app) => {
  app.addHook('onRequest', async (request) => {
    request.log.debug({ req: { method: request.method, url: request.url } }, 'incoming request');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { req: { method: request.method, url: request.url }, res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime * 10) / 10 },
      'request completed',
    );
  });
});
