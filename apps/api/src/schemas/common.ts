import { Type, type TSchema } from '@sinclair/typebox';
import {
  BadRequestError,
  HoldAlreadyUsedError,
  HoldExpiredError,
  HoldNotFoundError,
  HoldReleasedError,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InsufficientStockError,
  InternalError,
  InvalidSignatureError,
  MalformedBodyError,
  OrderNotFoundError,
  PayloadTooLargeError,
  ProductNotFoundError,
  ServiceUnavailableError,
  toErrorEnvelope,
  UnsupportedMediaTypeError,
  ValidationFailedError,
  type AppError,
} from '@flash-sale/errors';
import { documented } from './documented.ts';

// Shared pieces of the route schemas. The same schemas validate requests, shape responses and
// (with the OpenAPI generator) document the contract.

/** Ids are positive integers that fit the INT columns. */
export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
export const Money = Type.String({ pattern: '^-?\\d+\\.\\d{2}$', examples: ['199.00'] });
export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-21T10:00:00.000Z'] });

export const IdParams = Type.Object({ id: Id });

/** One literal per value of a schema enum (Prisma's generated `as const` objects), in its order. */
export function oneOf<T extends string>(values: Record<string, T>) {
  return Type.Union(Object.values(values).map((value) => Type.Literal(value)));
}

const errorEnvelope = (description: string, example: unknown) =>
  documented(Type.Object(
    {
      error: Type.Object({
        code: Type.String({ description: 'Stable and documented: branch on this, never on message.' }),
        message: Type.String({ description: 'One human sentence.' }),
        details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
    },
    { description },
  ), example);

/** An Idempotency-Key: printable ASCII, 1..255 (the holds and orders header, the webhook's header and body field). */
export const IdempotencyKey = Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' });

export const IdempotencyKeyHeaders = Type.Object({
  'idempotency-key': Type.Optional({ ...IdempotencyKey, description: 'Makes a retry safe: the same key and body get the stored response again (kept 24 h).' }),
});

// One example of every error the api gives, made by its own class (packages/errors), so the
// reference's codes, statuses, messages and details are the ones the api sends.
const examples = [
  new ValidationFailedError('Invalid body: qty.', { fields: [{ in: 'body', field: 'qty', message: 'Expected integer to be greater or equal to 1' }] }),
  new MalformedBodyError(),
  new BadRequestError('The request URL cannot be decoded.'),
  new InvalidSignatureError('The Payment-Signature header does not match the body.'),
  new ProductNotFoundError(999),
  new HoldNotFoundError(999),
  new OrderNotFoundError(999),
  new InsufficientStockError(1, 1),
  new HoldExpiredError(12),
  new HoldAlreadyUsedError(12, 7),
  new HoldReleasedError(12),
  new IdempotencyKeyInUseError(),
  new PayloadTooLargeError(65_536),
  new UnsupportedMediaTypeError('text/plain'),
  new IdempotencyKeyReusedError(),
  new InternalError(),
  new ServiceUnavailableError('MySQL is unavailable.'),
] as const;

export type ErrorCode = (typeof examples)[number]['code'];
const exampleOf = new Map<string, AppError>(examples.map((example) => [example.code, example]));

// The codes every route of a kind can give, beside its own.
/** Any route: a request that cannot be parsed, a bug, a store that is down. */
export const anyRouteErrors = ['bad_request', 'internal_error', 'service_unavailable'] as const satisfies readonly ErrorCode[];
/** A route whose request body is read: POST and DELETE (Fastify parses a DELETE's body too). */
export const bodyErrors = ['malformed_body', 'payload_too_large', 'unsupported_media_type'] as const satisfies readonly ErrorCode[];
/** A route that takes an Idempotency-Key. */
export const idempotencyErrors = ['idempotency_key_in_use', 'idempotency_key_reused'] as const satisfies readonly ErrorCode[];

/** The example of a route whose validation_failed is about its `:id` (not a body). */
export const invalidIdExample = {
  validation_failed: new ValidationFailedError('Invalid params: id.', { fields: [{ in: 'params', field: 'id', message: 'Expected integer' }] }),
};

/**
 * The error responses of a route that can give exactly these codes, for the reply's
 * serialization and for the reference: per status, the envelope, the codes, and an example (the
 * first code's, from the catalog unless `examples` has the route's own).
 */
export function errorResponses(codes: readonly ErrorCode[], examples: Partial<Record<ErrorCode, AppError>> = {}): Record<number, TSchema> {
  const byStatus = new Map<number, AppError[]>();
  for (const code of new Set(codes)) {
    const example = examples[code] ?? exampleOf.get(code)!;
    byStatus.set(example.status, [...(byStatus.get(example.status) ?? []), example]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, statusExamples]) => {
      const listed = statusExamples.map(({ code }) => `\`${code}\``).join(', ');
      const description = `Error envelope; \`error.code\` is ${statusExamples.length > 1 ? 'one of: ' : ''}${listed}.${status === 503 ? ' `Retry-After` says when to retry.' : ''}`;
      return [status, errorEnvelope(description, toErrorEnvelope(statusExamples[0]!))];
    }),
  );
}
