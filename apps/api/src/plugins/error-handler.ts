import fp from 'fastify-plugin';
import { InternalError, RouteNotFoundError, ServiceUnavailableError, toErrorEnvelope } from '@flash-sale/errors';
import { toAppError } from './to-app-error.ts';

/**
 * The one place where anything thrown becomes the contract's error envelope: validation, routing,
 * body parsing, domain refusals, a store being down. 4xx log at warn, 5xx at error.
 */
export const errorHandlerPlugin = fp(async (app) => {
  app.setNotFoundHandler(async (request) => {
    throw new RouteNotFoundError(request.method, request.url);
  });

  app.setErrorHandler(async (error, request, reply) => {
    const appError = toAppError(error, { contentType: request.headers['content-type'], bodyLimit: app.initialConfig.bodyLimit ?? 0 });
    if (!appError) {
      request.log.error({ err: error }, 'unexpected error');
      return reply.code(500).send(toErrorEnvelope(new InternalError()));
    }
    if (appError instanceof ServiceUnavailableError) {
      request.log.error({ err: appError.cause ?? appError, code: appError.code }, appError.message);
      reply.header('retry-after', String(appError.retryAfterSeconds));
    } else if (appError.status >= 500) {
      request.log.error({ err: appError, code: appError.code }, appError.message);
    } else {
      request.log.warn({ code: appError.code, status: appError.status, details: appError.details }, appError.message);
    }
    return reply.code(appError.status).send(toErrorEnvelope(appError));
  });
});
