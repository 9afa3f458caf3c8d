import { Type } from '@sinclair/typebox';
import { Id, IdempotencyKey } from './common.ts';
import { documented } from './documented.ts';

export const PaymentWebhookHeaders = Type.Object({
  'idempotency-key': Type.Optional(IdempotencyKey),
  'payment-signature': Type.Optional(Type.String({ description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">' })),
});

export const PaymentWebhookBody = Type.Object(
  {
    order_id: Id,
    status: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
    idempotency_key: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false },
);
documented(PaymentWebhookBody, { order_id: 7, status: 'success' });

export const PaymentWebhookAck = documented(
  Type.Object({ received: Type.Literal(true), duplicate: Type.Boolean() }, { description: 'Received: 202 for a new key (stored before this answer), 200 with duplicate true for a key already received with the same body.' }),
  { received: true, duplicate: false },
);
