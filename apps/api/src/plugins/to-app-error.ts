import {
  AppError,
  MalformedBodyError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
} from '@flash-sale/errors';
import { isDatabaseUnavailableError, isRetryableTransactionError, lockContention, mysqlUnavailable } from '@flash-sale/db';
import { isRedisUnavailableError, redisUnavailable } from '@flash-sale/queues';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: { message?: string; instancePath?: string }[];
  validationContext?: string;
}

// Fastify's own errors that a client can cause, by code.
const MALFORMED_BODY_CODES = new Set([
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
  'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
]);

/** Anything thrown while serving a request, as an AppError carrying the contract's code. */
export function toAppError(error: unknown, context: { contentType: string | undefined; bodyLimit: number }): AppError | undefined {
  if (error instanceof AppError) return error;
  const fastifyError = (error ?? {}) as FastifyLikeError;
  if (fastifyError.validation) return validationError(fastifyError);
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new UnsupportedMediaTypeError(context.contentType);
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fastifyError.statusCode === 413) return new PayloadTooLargeError(context.bodyLimit);
  if (fastifyError.code && MALFORMED_BODY_CODES.has(fastifyError.code)) return new MalformedBodyError();
  // JSON.parse failures from a body parser.
  if (error instanceof SyntaxError || (fastifyError.statusCode === 400 && !fastifyError.code?.startsWith('FST_ERR_VALIDATION'))) {
    return new MalformedBodyError();
  }
  if (isDatabaseUnavailableError(error)) return mysqlUnavailable(error);
  // A deadlock or lock-wait timeout outside runTransaction's retries: contention, a 503.
  if (isRetryableTransactionError(error)) return lockContention(error);
  if (isRedisUnavailableError(error)) return redisUnavailable(error);
  return undefined;
}

function validationError(error: FastifyLikeError): ValidationFailedError {
  const location = error.validationContext ?? 'request';
  const seen = new Set<string>();
  const fields: { in: string; field: string; message: string }[] = [];
  for (const issue of error.validation ?? []) {
    const field = (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.') || `(${location})`;
    if (seen.has(field)) continue;
    seen.add(field);
    fields.push({ in: location, field, message: issue.message ?? 'invalid' });
  }
  const names = fields.map((entry) => entry.field).join(', ');
  return new ValidationFailedError(`Invalid ${location}: ${names}.`, { fields });
}
