import { Type, type TSchema } from '@sinclair/typebox';
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

interface ErrorExample {
  status: number;
  message: string;
  details?: Record<string, unknown>;
}

/** Every stable error code: its HTTP status, and an example of its envelope for the reference. */
export const errorCatalog = {
  validation_failed: { status: 400, message: 'Invalid body: qty.', details: { fields: [{ in: 'body', field: 'qty', message: 'Expected integer to be greater or equal to 1' }] } },
  malformed_body: { status: 400, message: 'The request body is not valid JSON.' },
  bad_request: { status: 400, message: 'The request URL cannot be decoded.' },
  invalid_signature: { status: 401, message: 'The Payment-Signature header does not match the body.' },
  product_not_found: { status: 404, message: 'Product 999 does not exist.', details: { product_id: 999 } },
  hold_not_found: { status: 404, message: 'Hold 999 does not exist.', details: { hold_id: 999 } },
  order_not_found: { status: 404, message: 'Order 999 does not exist.', details: { order_id: 999 } },
  insufficient_stock: { status: 409, message: 'Product 1 has only 1 left.', details: { available_stock: 1 } },
  hold_expired: { status: 409, message: 'Hold 12 has expired.' },
  hold_already_used: { status: 409, message: 'Hold 12 was already used by order 7.', details: { order_id: 7 } },
  hold_released: { status: 409, message: 'Hold 12 was released.' },
  idempotency_key_in_use: { status: 409, message: 'A request with this Idempotency-Key is still being processed.' },
  payload_too_large: { status: 413, message: 'The request body is larger than 65536 bytes.', details: { limit_bytes: 65536 } },
  unsupported_media_type: { status: 415, message: "Content-Type 'text/plain' is not supported; send application/json." },
  idempotency_key_reused: { status: 422, message: 'This Idempotency-Key was already used with a different request body.' },
  internal_error: { status: 500, message: 'An unexpected error occurred; it has been logged.' },
  service_unavailable: { status: 503, message: 'MySQL is unavailable.' },
} as const satisfies Record<string, ErrorExample>;

export type ErrorCode = keyof typeof errorCatalog;

// The codes every route of a kind can give, beside its own.
/** Any route: a request that cannot be parsed, a bug, a store that is down. */
export const anyRouteErrors = ['bad_request', 'internal_error', 'service_unavailable'] as const satisfies readonly ErrorCode[];
/** A route whose request body is read: POST and DELETE (Fastify parses a DELETE's body too). */
export const bodyErrors = ['malformed_body', 'payload_too_large', 'unsupported_media_type'] as const satisfies readonly ErrorCode[];
/** A route that takes an Idempotency-Key. */
export const idempotencyErrors = ['idempotency_key_in_use', 'idempotency_key_reused'] as const satisfies readonly ErrorCode[];

/** The example of a route whose validation_failed is about its `:id` (not a body). */
export const invalidIdExample = {
  validation_failed: { message: 'Invalid params: id.', details: { fields: [{ in: 'params', field: 'id', message: 'Expected integer' }] } },
} satisfies Partial<Record<ErrorCode, Omit<ErrorExample, 'status'>>>;

/**
 * The error responses of a route that can give exactly these codes, for the reply's
 * serialization and for the reference: per status, the envelope, the codes, and an example (the
 * first code's, from the catalog unless `examples` has the route's own).
 */
export function errorResponses(codes: readonly ErrorCode[], examples: Partial<Record<ErrorCode, Omit<ErrorExample, 'status'>>> = {}): Record<number, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const { status } = errorCatalog[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, statusCodes]) => {
      const code = statusCodes[0]!;
      const { message, details } = (examples[code] ?? errorCatalog[code]) as Omit<ErrorExample, 'status'>;
      const listed = statusCodes.map((each) => `\`${each}\``).join(', ');
      const description = `Error envelope; \`error.code\` is ${statusCodes.length > 1 ? 'one of: ' : ''}${listed}.${status === 503 ? ' `Retry-After` says when to retry.' : ''}`;
      return [status, errorEnvelope(description, { error: { code, message, ...(details ? { details } : {}) } })];
    }),
  );
}
