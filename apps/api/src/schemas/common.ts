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

export const IdempotencyKeyHeaders = Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) });

/** The stable error codes by HTTP status, and an example of each status's envelope. */
export const errorCodesByStatus: Record<number, { codes: string[]; example: { code: string; message: string; details?: Record<string, unknown> } }> = {
  400: {
    codes: ['validation_failed', 'malformed_body', 'bad_request'],
    example: { code: 'validation_failed', message: 'Invalid body: qty.', details: { fields: [{ in: 'body', field: 'qty', message: 'Expected integer to be greater or equal to 1' }] } },
  },
  401: { codes: ['invalid_signature'], example: { code: 'invalid_signature', message: 'The Payment-Signature header does not match the body.' } },
  404: {
    codes: ['route_not_found', 'product_not_found', 'hold_not_found', 'order_not_found'],
    example: { code: 'product_not_found', message: 'Product 999 does not exist.' },
  },
  409: {
    codes: ['insufficient_stock', 'hold_expired', 'hold_already_used', 'hold_released', 'idempotency_key_in_use'],
    example: { code: 'insufficient_stock', message: 'Product 1 has only 1 left.', details: { available_stock: 1 } },
  },
  413: { codes: ['payload_too_large'], example: { code: 'payload_too_large', message: 'The request body is larger than 65536 bytes.', details: { limit_bytes: 65536 } } },
  415: { codes: ['unsupported_media_type'], example: { code: 'unsupported_media_type', message: "Content-Type 'text/plain' is not supported; send application/json." } },
  422: { codes: ['idempotency_key_reused'], example: { code: 'idempotency_key_reused', message: 'This Idempotency-Key was already used with a different request body.' } },
  503: {
    codes: ['service_unavailable'],
    example: { code: 'service_unavailable', message: 'MySQL is unavailable.' },
  },
};

/**
 * The error responses a route can give, for the reply's serialization and for the docs: the
 * envelope, the codes this status can carry, and an example.
 */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    statuses.map((status) => {
      const { codes, example } = errorCodesByStatus[status] ?? { codes: [], example: { code: 'error', message: 'An error.' } };
      const description = `Error envelope; \`error.code\` is one of: ${codes.map((code) => `\`${code}\``).join(', ')}.${status === 503 ? ' `Retry-After` says when to retry.' : ''}`;
      return [status, errorEnvelope(description, { error: example })];
    }),
  );
}
