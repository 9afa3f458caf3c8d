import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// docs/api.md is the API reference in prose; the OpenAPI document is generated from the route
// schemas. This keeps the prose from drifting: every operation, every field of every request
// and success body, every header the routes read and every error code in the document must be in
// docs/api.md.

const reference = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
let t: TestApp;
let document: any;

beforeAll(async () => {
  t = await startTestApp();
  document = (await request(t.url, 'GET', '/docs/json')).body;
});
afterAll(async () => t?.close());

type Operation = { name: string; method: string; path: string; operation: any };
const operations = (): Operation[] =>
  Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, operation })),
  );

/** Property names of an object schema, nested objects and array items included. */
function fieldsOf(schema: any): string[] {
  if (!schema || typeof schema !== 'object') return [];
  const own = Object.entries((schema.properties ?? {}) as Record<string, any>).flatMap(([name, property]) => [name, ...fieldsOf(property)]);
  return [...own, ...fieldsOf(schema.items), ...((schema.anyOf ?? []) as any[]).flatMap(fieldsOf)];
}

describe('docs/api.md against the route schemas', () => {
  it('documents every operation', () => {
    const missing = operations()
      .filter(({ method, path }) => {
        const written = path.replace(/\{(\w+)\}/g, ':$1');
        return !new RegExp(`\`${method} ${written.replace(/[/:]/g, '\\$&')}[\`?]`).test(reference);
      })
      .map(({ name }) => name);
    expect(missing).toEqual([]);
  });

  it('names every field of every request body and success response, and every header a route reads', () => {
    const missing: string[] = [];
    for (const { name, operation } of operations()) {
      const bodies = [operation.requestBody?.content?.['application/json']?.schema];
      for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
        if (status.startsWith('2')) bodies.push(response.content?.['application/json']?.schema);
      }
      for (const field of new Set(bodies.flatMap(fieldsOf))) if (!reference.includes(field)) missing.push(`${name}: ${field}`);
      for (const parameter of (operation.parameters ?? []) as { in: string; name: string }[]) {
        if (parameter.in === 'header' && !reference.toLowerCase().includes(parameter.name.toLowerCase())) missing.push(`${name}: header ${parameter.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists every error code that the document gives, with its status', () => {
    const codes = new Set<string>();
    for (const { operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
        if (Number(status) < 400) continue;
        for (const match of String(response.description).matchAll(/`([a-z_]+)`/g)) codes.add(`${status} ${match[1]}`);
      }
    }
    expect(codes.size).toBeGreaterThan(10);
    const table = reference.split('\n').filter((line) => line.startsWith('|'));
    const missing = [...codes].filter((entry) => {
      const [status, code] = entry.split(' ');
      return !table.some((line) => line.includes(`| ${status} |`) && line.includes(`\`${code}\``));
    });
    expect(missing).toEqual([]);
  });
});
