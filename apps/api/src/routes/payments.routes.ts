import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { receivePaymentEvent, verifyPaymentSignature, type CheckoutDeps } from '@flash-sale/checkout';
import { ValidationFailedError } from '@flash-sale/errors';
import { createJsonBodyParser } from '../plugins/json-body.ts';
import { anyRouteErrors, bodyErrors, errorResponses } from '../schemas/common.ts';
import { PaymentWebhookAck, PaymentWebhookBody, PaymentWebhookDuplicateAck, PaymentWebhookHeaders } from '../schemas/payments.ts';
import { idempotencyKeyOf } from './idempotent-reply.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as received, for the webhook signature (set by this plugin's JSON parser only). */
    rawBody?: string;
  }
}

export const paymentRoutes: FastifyPluginAsyncTypebox<{ deps: CheckoutDeps; webhookSecret: string }> = async (app, { deps, webhookSecret }) => {
  const verifySignature = (request: FastifyRequest) => {
    const header = request.headers['payment-signature'];
    verifyPaymentSignature({ header: typeof header === 'string' ? header : undefined, rawBody: request.rawBody ?? '', secret: webhookSecret, now: deps.clock.now() });
  };

  // The signature covers the exact bytes sent, so this plugin's JSON parser keeps them; the
  // parser is encapsulated here, other routes keep the app's (app.ts). A body that does not
  // parse is reported as such only to a signed caller: the signature is checked first (401).
  // An encoded body is refused before (415, json-body.ts), as one of another media type is by Fastify.
  const parseJson = createJsonBodyParser(app, {
    rejectUnparsable: (request, parseError) => {
      try {
        verifySignature(request);
      } catch (signatureError) {
        return signatureError as Error;
      }
      return parseError;
    },
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    parseJson(request, body as string, done);
  });

  app.post('/webhook', {
    schema: {
      tags: ['payments'],
      summary: 'Receive a payment result from the provider',
      security: [{ paymentSignature: [] }],
      description: [
        'Signed with `Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`; stored durably before the 202;',
        'applied by a worker, normally within a second.',
        '',
        '**The payment deadline rule.** A result received before the order\'s payment deadline decides the order, whatever the order',
        'in which the payment timeout and the event are processed and however late the workers are: `success` → `paid`,',
        '`failure` → `cancelled` with `payment_failed`. Only an order with no such result is cancelled with `payment_timeout`.',
        'A result received after the deadline does not decide: the order times out first, and the late result changes nothing and',
        'is recorded as a `conflict` (a late `failure` agrees with the cancellation: `ignored_duplicate_state`).',
        'Of two results received in time that disagree, the first received decides; the other is recorded as a `conflict`.',
      ].join('\n'),
      headers: PaymentWebhookHeaders,
      body: PaymentWebhookBody,
      response: { 200: PaymentWebhookDuplicateAck, 202: PaymentWebhookAck, ...errorResponses(['validation_failed', ...bodyErrors, 'invalid_signature', 'idempotency_key_reused', ...anyRouteErrors]) },
    },
    // Before validation: an unsigned caller learns nothing about what a valid body looks like.
    preValidation: async (request) => verifySignature(request),
    handler: async (request, reply) => {
      const headerKey = idempotencyKeyOf(request);
      const bodyKey = request.body.idempotency_key;
      if (headerKey !== undefined && bodyKey !== undefined && headerKey !== bodyKey) {
        throw new ValidationFailedError('The Idempotency-Key header and the body idempotency_key differ.', {
          fields: [{ in: 'body', field: 'idempotency_key', message: 'must equal the Idempotency-Key header' }],
        });
      }
      const idempotencyKey = headerKey ?? bodyKey;
      if (idempotencyKey === undefined) {
        throw new ValidationFailedError('An Idempotency-Key header (or body idempotency_key) is required.', {
          fields: [{ in: 'headers', field: 'idempotency-key', message: 'required' }],
        });
      }
      const received = await receivePaymentEvent(deps, {
        idempotencyKey,
        orderId: request.body.order_id,
        result: request.body.status,
        rawBody: request.rawBody ?? '',
      });
      return reply.code(received.duplicate ? 200 : 202).send({ received: true, duplicate: received.duplicate });
    },
  });
};
