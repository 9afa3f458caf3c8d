import { Type } from '@sinclair/typebox';
import { PaymentResult } from '@flash-sale/db';
import { Id, IdempotencyKey, oneOf } from './common.ts';
import { documented, documentedCopy } from './documented.ts';

export const PaymentWebhookHeaders = Type.Object({
  // Optional to the schema only: the route itself answers a missing one (a 401 before validation
  // for the signature, a 400 for the key), and the reference says so.
  'idempotency-key': Type.Optional({ ...IdempotencyKey, description: 'Required, unless the body carries idempotency_key; both, when sent, must be equal (else 400 validation_failed).' }),
  'payment-signature': Type.Optional(Type.String({ description: 'Required: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">; missing or not matching: 401 invalid_signature.' })),
});

export const PaymentWebhookBody = Type.Object(
  {
    order_id: Id,
    status: oneOf(PaymentResult),
    idempotency_key: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false },
);
documented(PaymentWebhookBody, { order_id: 7, status: 'success' });

export const PaymentWebhookAck = documented(
  Type.Object({ received: Type.Literal(true), duplicate: Type.Boolean() }, { description: 'Received: 202 for a new key (stored before this answer), 200 with duplicate true for a key already received with the same body.' }),
  { received: true, duplicate: false },
);

/** The same answer to a key already received with the same body. */
export const PaymentWebhookDuplicateAck = documentedCopy(PaymentWebhookAck, { received: true, duplicate: true });
