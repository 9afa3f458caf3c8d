import type { SwaggerTransform } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';
import type { TSchema } from '@sinclair/typebox';

// An example for the API reference only. Put on a body or response schema as JSON Schema's
// `examples`, it slowed every reply of that route by a third or more (measured: the cached
// product read went from 15k to 8.7k requests/s), because the same schema object compiles the
// reply serializer. So examples ride on a symbol, which serialization never sees, and the
// OpenAPI generator's transform (documentRoute) writes them into a copy for the document. The
// response headers are written there too, for the same reason.
const EXAMPLE = Symbol('flash-sale.example');

type Documented = TSchema & { [EXAMPLE]?: unknown };

/** `schema`, with `example` for the API reference (not for validation or serialization). */
export function documented<T extends TSchema>(schema: T, example: unknown): T {
  (schema as Documented)[EXAMPLE] = example;
  return schema;
}

/** A copy of `schema` with an example of its own: one schema, documented per status. */
export const documentedCopy = <T extends TSchema>(schema: T, example: unknown): T => documented({ ...schema }, example);

// The headers the api sets, by which responses carry them.
const requestIdHeader = { 'X-Request-Id': { type: 'string', description: 'The request id: the one sent, if 1..200 printable ASCII characters, else a generated one. Every log line of the request carries it.' } };
const retryAfterHeader = { 'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again.' } };
const replayedHeader = {
  'Idempotent-Replayed': {
    type: 'string',
    enum: ['true'],
    description: 'Set when this is the stored response to an earlier request with the same Idempotency-Key and body (never on 409 `idempotency_key_in_use`).',
  },
};

/** Whether the route stores responses under an Idempotency-Key (the webhook answers duplicates in its body). */
const repliesIdempotently = (schema: FastifySchema, url: string) =>
  url !== '/api/payments/webhook' && Boolean((schema.headers as { properties?: Record<string, unknown> } | undefined)?.properties?.['idempotency-key']);

function documentResponse(schema: unknown, status: string, replayable: boolean): unknown {
  if (schema === null || typeof schema !== 'object') return schema;
  const headers = {
    ...requestIdHeader,
    ...(status === '503' ? retryAfterHeader : {}),
    // What is stored is what ran: the success, and the refusals of the operation itself (404,
    // 409). A request refused before it ran (400, 413, 415), a 422 or a 5xx is never stored.
    ...(replayable && (status.startsWith('2') || status === '404' || status === '409') ? replayedHeader : {}),
  };
  return { ...schema, headers, ...(EXAMPLE in schema ? { examples: [(schema as Documented)[EXAMPLE]] } : {}) };
}

/** @fastify/swagger's `transform`: the route's body and responses, with their examples and headers, for the document only. */
export const documentRoute: SwaggerTransform<FastifySchema> = ({ schema, url }) => {
  if (!schema) return { schema, url };
  const replayable = repliesIdempotently(schema, url);
  const responses = schema.response as Record<string, unknown> | undefined;
  const response = responses ? Object.fromEntries(Object.entries(responses).map(([status, each]) => [status, documentResponse(each, status, replayable)])) : undefined;
  const body = schema.body as Documented | undefined;
  return {
    schema: { ...schema, ...(body && EXAMPLE in body ? { body: { ...body, examples: [body[EXAMPLE]] } } : {}), ...(response ? { response } : {}) } as FastifySchema,
    url,
  };
};
