import { randomUUID } from 'node:crypto';
import type { Server, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, toErrorEnvelope, ValidationFailedError, type AppError } from '@flash-sale/errors';
import { requestIdOf } from './request-id.ts';

// What answers before a route runs: Fastify's router (a path it cannot decode, a parameter over
// maxParamLength) and Node's HTTP parser (control characters in a header, broken chunking, an
// Expect it does not know). By default each answers with its own body; these give every one of
// them the contract's envelope, a stable code and an X-Request-Id.

/** Fastify's `frameworkErrors` option: the router's refusals. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appError: AppError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ValidationFailedError('Invalid params: a path parameter is too long.', {
          fields: [{ in: 'params', field: '(params)', message: 'must be at most 100 characters' }],
        })
      : new BadRequestError('The request URL cannot be decoded.');
  request.log.warn({ code: appError.code, status: appError.status, frameworkCode: error.code }, appError.message);
  void reply.code(appError.status).header('x-request-id', request.id).send(toErrorEnvelope(appError));
}

/**
 * Whether the URL's query string has a percent sign that is no valid escape (`?limit=%zz`). The
 * router refuses such a path, but the query parser keeps the bytes as they came, which a route
 * would then report as an invalid value: the request itself cannot be decoded, so it is a
 * bad_request like the path's.
 */
export function hasUndecodableQuery(url: string): boolean {
  const start = url.indexOf('?');
  if (start === -1 || !url.includes('%', start)) return false;
  try {
    decodeURIComponent(url.slice(start + 1));
    return false;
  } catch {
    return true;
  }
}

/** Fastify's `clientErrorHandler` option: a request Node's HTTP parser refused. */
export function clientErrorHandlerFor(logger: FastifyBaseLogger) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const appError = new BadRequestError(describeParseError(error.code));
    logger.warn({ code: appError.code, parserCode: error.code }, 'unparsable request refused');
    if (socket.writable) socket.write(rawResponse(appError));
    socket.destroy();
  };
}

/** Node answers an unknown `Expect` with a bare 417; this gives it the envelope instead. */
export function answerUnknownExpectations(server: Server, logger: FastifyBaseLogger): void {
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const appError = new BadRequestError(`Expect: ${String(request.headers.expect).slice(0, 64)} is not supported.`);
    logger.warn({ code: appError.code, expect: request.headers.expect }, appError.message);
    const body = JSON.stringify(toErrorEnvelope(appError));
    response.writeHead(appError.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestIdOf(request),
      connection: 'close',
    });
    response.end(body);
  });
}

/** Node drops a CONNECT (a proxy's tunnel request) without a byte when nothing listens for it. */
export function refuseConnect(server: Server, logger: FastifyBaseLogger): void {
  server.on('connect', (request: IncomingMessage, socket: Socket) => {
    const appError = new BadRequestError('CONNECT is not supported: this is not a proxy.');
    logger.warn({ code: appError.code }, appError.message);
    socket.on('error', () => undefined);
    socket.end(rawResponse(appError, requestIdOf(request)));
  });
}

function describeParseError(code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') return 'The request headers are too large.';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'The request was not received in time.';
  if (code === 'HPE_INVALID_HEADER_TOKEN' || code === 'HPE_INVALID_CONSTANT') return 'The request has a malformed header.';
  if (code?.includes('CHUNK') || code === 'HPE_INVALID_TRANSFER_ENCODING' || code === 'HPE_UNEXPECTED_CONTENT_LENGTH') {
    return 'The request body framing is malformed.';
  }
  return 'The request cannot be parsed.';
}

function rawResponse(error: AppError, requestId: string = randomUUID()): string {
  const body = JSON.stringify(toErrorEnvelope(error));
  return [
    `HTTP/1.1 ${error.status} Bad Request`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
