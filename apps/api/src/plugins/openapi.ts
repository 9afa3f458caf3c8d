import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { documentRoute } from '../schemas/documented.ts';

/**
 * The API reference: the OpenAPI 3.1 document built from the route schemas (`GET /docs/json`,
 * also `/docs/yaml`) and a browsable page over it (`GET /docs`), served from our own npm
 * dependencies: no CDN, no call to an outside validator. The same text in prose: docs/api.md.
 */
export const openApiPlugin = fp(async (app) => {
  await app.register(swagger, {
    // Examples reach the document only, never the reply serializers (schemas/documented.ts).
    transform: documentRoute,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Flash-sale checkout',
        version: '1.0.0',
        description: [
          'Holds that never oversell, orders made from holds, and a signed payment webhook.',
          '',
          'Every error has one shape, `{ "error": { "code", "message", "details"? } }`; clients branch on `code`, which is stable.',
          'Each operation lists the codes it can give; a method and path that no operation serves gets 404 `route_not_found`.',
          'Every response carries `X-Request-Id` (echoed when sent). `POST /api/holds` and `POST /api/orders` take an optional',
          '`Idempotency-Key`: a repeat with the same body gets the stored response again with `Idempotent-Replayed: true`.',
          'The rules in prose, with examples: docs/api.md in the repository.',
        ].join('\n'),
      },
      tags: [
        { name: 'products', description: 'Products with their live available stock (served from the cache, never stale).' },
        { name: 'holds', description: 'Short-lived holds that take stock from everyone else at once.' },
        { name: 'orders', description: 'An order is made from a hold, at most once.' },
        { name: 'payments', description: 'The payment provider reports results here, signed.' },
        { name: 'health', description: 'Liveness and readiness for load balancers and orchestrators.' },
        { name: 'operations', description: 'Metrics for Prometheus.' },
      ],
      components: {
        securitySchemes: {
          paymentSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'Payment-Signature',
            description: [
              '`Payment-Signature: t=<unix seconds>,v1=<hex>` where `v1 = HMAC-SHA256(PAYMENT_WEBHOOK_SECRET, "<t>.<raw request body>")`,',
              'the same scheme as Stripe webhook signatures. Several `v1=` entries may be sent (secret rotation); one match is enough.',
              '`|now − t|` must be at most 300 s. Otherwise 401 `invalid_signature`, and nothing is recorded.',
            ].join(' '),
          },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    theme: { title: 'Flash-sale checkout: API reference' },
    uiConfig: { docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0, tryItOutEnabled: false },
  });
});
