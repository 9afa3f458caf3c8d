import type { SwaggerTransform } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';
import type { TSchema } from '@sinclair/typebox';

// An example for the API reference only. Put on a body or response schema as JSON Schema's
// `examples`, it slowed every reply of that route by a third or more (measured: the cached
// product read went from 15k to 8.7k requests/s), because the same schema object compiles the
// reply serializer. So examples ride on a symbol, which serialization never sees, and the
// OpenAPI generator's transform (documentExamples) writes them into a copy for the document.
const EXAMPLE = Symbol('flash-sale.example');

type Documented = TSchema & { [EXAMPLE]?: unknown };

/** `schema`, with `example` for the API reference (not for validation or serialization). */
export function documented<T extends TSchema>(schema: T, example: unknown): T {
  (schema as Documented)[EXAMPLE] = example;
  return schema;
}

function withExample(schema: unknown): unknown {
  if (schema === null || typeof schema !== 'object' || !(EXAMPLE in schema)) return schema;
  return { ...(schema as object), examples: [(schema as Documented)[EXAMPLE]] };
}

/** @fastify/swagger's `transform`: the route's body and responses, with their examples, for the document only. */
export const documentExamples: SwaggerTransform<FastifySchema> = ({ schema, url }) => {
  if (!schema) return { schema, url };
  const responses = schema.response as Record<string, unknown> | undefined;
  const response = responses ? Object.fromEntries(Object.entries(responses).map(([status, each]) => [status, withExample(each)])) : undefined;
  return { schema: { ...schema, body: withExample(schema.body), ...(response ? { response } : {}) } as FastifySchema, url };
};
