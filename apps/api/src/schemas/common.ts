import { Type, type TSchema } from '@sinclair/typebox';

// Shared pieces of the route schemas. The same schemas validate requests, shape responses and
// (with the OpenAPI generator) document the contract.

/** Ids are positive integers that fit the INT columns. */
export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
export const Money = Type.String({ pattern: '^-?\\d+\\.\\d{2}$', examples: ['199.00'] });
export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-21T10:00:00.000Z'] });

export const IdParams = Type.Object({ id: Id });

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'ErrorEnvelope' },
);

/** Printable ASCII, 1..255 (contract section 4). */
export const IdempotencyKeyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' })),
});

/** The error responses a route can give, for validation of the reply and for the docs. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorEnvelope]));
}
