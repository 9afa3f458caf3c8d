import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '@flash-sale/config';
import { BadRequestError, ServiceUnavailableError } from '@flash-sale/errors';
import type { Logger } from '@flash-sale/logger';
import type { ApiServices } from './api-services.ts';
import { createJsonBodyParser } from './plugins/json-body.ts';
import { errorHandlerPlugin } from './plugins/error-handler.ts';
import { answerFrameworkError, answerUnknownExpectations, clientErrorHandlerFor, hasUndecodableQuery, refuseConnect } from './plugins/http-layer-errors.ts';
import { openApiPlugin } from './plugins/openapi.ts';
import { requestLogPlugin } from './plugins/request-log.ts';
import { requestMetricsPlugin } from './plugins/request-metrics.ts';
import { requestIdOf } from './plugins/request-id.ts';
import { strictValidatorCompiler } from './plugins/validator-compiler.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { holdRoutes } from './routes/holds.routes.ts';
import { operationsRoutes } from './routes/operations.routes.ts';
import { orderRoutes } from './routes/orders.routes.ts';
import { paymentRoutes } from './routes/payments.routes.ts';
import { productRoutes } from './routes/products.routes.ts';

export interface AppOptions {
  config: Config;
  logger: Logger;
  services: ApiServices;
}

export async function buildApp({ config, logger, services }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdOf,
    // One line per request instead of Fastify's two (plugins/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // Our own onRequest hook answers during shutdown, in the contract's envelope.
    return503OnClosing: false,
    // What Fastify's router and Node's parser answer themselves, in the envelope too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: clientErrorHandlerFor(logger as FastifyBaseLogger),
    http: { requireHostHeader: false },
  }).withTypeProvider<TypeBoxTypeProvider>();
  answerUnknownExpectations(app.server, logger as FastifyBaseLogger);
  refuseConnect(app.server, logger as FastifyBaseLogger);

  app.setValidatorCompiler(strictValidatorCompiler);
  // JSON is the only body we accept; anything else is a 415.
  app.removeContentTypeParser('text/plain');
  // Some clients send `Content-Type: application/json` on every request. A release or a read
  // takes no body, so an empty one there is no body, not malformed JSON (a 400); a POST's empty
  // body still is. The webhook's routes have a parser of their own (payments.routes.ts).
  const parseJson = createJsonBodyParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' && request.method !== 'POST') return done(null, undefined);
    parseJson(request, body as string, done);
  });

  await app.register(errorHandlerPlugin);
  await app.register(openApiPlugin);
  await app.register(requestLogPlugin);
  await app.register(requestMetricsPlugin, { metrics: services.metrics });

  let closing = false;
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // HTTP/1.1 requires Host; Node's own refusal of a request without one has no body at all
    // (requireHostHeader is off above, so that the refusal is ours and in the envelope).
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) throw new BadRequestError('An HTTP/1.1 request needs a Host header.');
    if (hasUndecodableQuery(request.url)) throw new BadRequestError('The request URL cannot be decoded.');
    // The health routes answer for themselves while closing: readiness says 503 `unavailable`
    // in its own shape, which load balancers read to drain the instance.
    if (closing && !request.url.startsWith('/health/')) throw new ServiceUnavailableError('The server is shutting down; retry on another instance.');
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  // While draining, every response closes its connection: a keep-alive socket left open after
  // the last in-flight reply would otherwise hold server.close() until the deadline.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    await services.close();
  });

  const deps = services.deps;
  await app.register(healthRoutes, { db: deps.db, redis: services.redis, isClosing: () => closing });
  await app.register(operationsRoutes, { metrics: services.metrics });
  await app.register(productRoutes, { prefix: '/api/products', deps });
  await app.register(holdRoutes, { prefix: '/api/holds', deps, holds: services.holdBatcher, maxQtyPerHold: config.maxQtyPerHold });
  await app.register(orderRoutes, { prefix: '/api/orders', deps });
  await app.register(paymentRoutes, { prefix: '/api/payments', deps, webhookSecret: config.paymentWebhookSecret });
  return app;
}
