// The error family of the service. Each class carries the HTTP status and the stable `code` of
// the contract's error table; the api's error handler is the one place that turns any thrown
// value into the `{ error: { code, message, details } }` envelope. Domain code throws these and
// knows nothing of HTTP beyond the status number.

export type ErrorDetails = Record<string, unknown>;

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly details: ErrorDetails | undefined;

  constructor(message: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

export class ValidationFailedError extends AppError {
  readonly status = 400;
  readonly code = 'validation_failed';
}

export class MalformedBodyError extends AppError {
  readonly status = 400;
  readonly code = 'malformed_body';
  constructor() {
    super('The request body is not valid JSON.');
  }
}

/** The request itself cannot be parsed: bad URL encoding, malformed headers or framing. */
export class BadRequestError extends AppError {
  readonly status = 400;
  readonly code = 'bad_request';
}

export class InvalidSignatureError extends AppError {
  readonly status = 401;
  readonly code = 'invalid_signature';
}

export class RouteNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'route_not_found';
  constructor(method: string, url: string) {
    super(`No route ${method} ${url.split('?')[0]}.`);
  }
}

export class ProductNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'product_not_found';
  constructor(productId: number) {
    super(`Product ${productId} does not exist.`, { product_id: productId });
  }
}

export class HoldNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'hold_not_found';
  constructor(holdId: number) {
    super(`Hold ${holdId} does not exist.`, { hold_id: holdId });
  }
}

export class OrderNotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'order_not_found';
  constructor(orderId: number) {
    super(`Order ${orderId} does not exist.`, { order_id: orderId });
  }
}

export class InsufficientStockError extends AppError {
  readonly status = 409;
  readonly code = 'insufficient_stock';
  constructor(productId: number, availableStock: number) {
    super(`Product ${productId} has only ${availableStock} left.`, { available_stock: availableStock });
  }
}

export class HoldExpiredError extends AppError {
  readonly status = 409;
  readonly code = 'hold_expired';
  constructor(holdId: number) {
    super(`Hold ${holdId} has expired.`);
  }
}

export class HoldAlreadyUsedError extends AppError {
  readonly status = 409;
  readonly code = 'hold_already_used';
  constructor(holdId: number, orderId: number) {
    super(`Hold ${holdId} was already used by order ${orderId}.`, { order_id: orderId });
  }
}

export class HoldReleasedError extends AppError {
  readonly status = 409;
  readonly code = 'hold_released';
  constructor(holdId: number) {
    super(`Hold ${holdId} was released.`);
  }
}

export class IdempotencyKeyInUseError extends AppError {
  readonly status = 409;
  readonly code = 'idempotency_key_in_use';
  constructor() {
    super('A request with this Idempotency-Key is still being processed.');
  }
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  /** `contentEncoding`: the body is compressed (or otherwise encoded), which we do not decode. */
  constructor(contentType: string | undefined, contentEncoding?: string) {
    super(
      contentEncoding
        ? `Content-Encoding '${contentEncoding}' is not supported; send the JSON body unencoded.`
        : `Content-Type ${contentType ? `'${contentType}'` : '(none)'} is not supported; send application/json.`,
    );
  }
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor(limitBytes: number) {
    super(`The request body is larger than ${limitBytes} bytes.`, { limit_bytes: limitBytes });
  }
}

export class IdempotencyKeyReusedError extends AppError {
  readonly status = 422;
  readonly code = 'idempotency_key_reused';
  constructor() {
    super('This Idempotency-Key was already used with a different request body.');
  }
}

/** Anything no other class covers: a bug. Its message says nothing of the cause, which is logged. */
export class InternalError extends AppError {
  readonly status = 500;
  readonly code = 'internal_error';
  constructor() {
    super('An unexpected error occurred; it has been logged.');
  }
}

/** A store is unreachable or contention did not resolve: the client should retry later. */
export class ServiceUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'service_unavailable';
  readonly retryAfterSeconds: number;
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, undefined, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: ErrorDetails };
}

/** The contract's error shape; the api's error handler and stored idempotent replies both use it. */
export function toErrorEnvelope(error: AppError): ErrorEnvelope {
  return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
}

/**
 * Node's system error codes that mean a store (MySQL or Redis) could not be reached or dropped
 * the connection: one list, read by both stores' classifications (@flash-sale/db, @flash-sale/queues).
 */
export const UNREACHABLE_SYSTEM_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
