import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRawHttp } from '@flash-sale/testing';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// Bad input always gets a 4xx with the contract's envelope and a stable code: never a 500, and
// never a partial write.

let t: TestApp;
let productId: number;
beforeAll(async () => {
  t = await startTestApp({ MAX_QTY_PER_HOLD: '10', BODY_LIMIT_BYTES: '65536' });
  productId = await t.createProduct({ totalStock: 50 });
});
afterAll(async () => {
  if (!t) return;
  // Nothing above wrote anything.
  expect(await t.db.hold.count()).toBe(0);
  expect(await t.db.order.count()).toBe(0);
  expect((await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock).toBe(50);
  await t.close();
});

const envelope = (code: string) => ({ error: { code, message: expect.any(String), details: expect.anything() } });

describe('POST /api/holds body validation', () => {
  it.each([
    ['qty zero', { product_id: 1, qty: 0 }, 'qty'],
    ['qty negative', { product_id: 1, qty: -1 }, 'qty'],
    ['qty fractional', { product_id: 1, qty: 1.5 }, 'qty'],
    ['qty above MAX_QTY_PER_HOLD', { product_id: 1, qty: 11 }, 'qty'],
    ['qty huge', { product_id: 1, qty: 1e20 }, 'qty'],
    ['qty as a string', { product_id: 1, qty: '2' }, 'qty'],
    ['qty null', { product_id: 1, qty: null }, 'qty'],
    ['qty missing', { product_id: 1 }, 'qty'],
    ['product_id missing', { qty: 1 }, 'product_id'],
    ['product_id zero', { product_id: 0, qty: 1 }, 'product_id'],
    ['product_id beyond INT', { product_id: 2 ** 31, qty: 1 }, 'product_id'],
    ['unknown field', { product_id: 1, qty: 1, coupon: 'FREE' }, 'coupon'],
  ])('%s -> 400 validation_failed naming the field', async (_label, body, field) => {
    const response = await request(t.url, 'POST', '/api/holds', { body });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(envelope('validation_failed'));
    expect(response.body.error.details.fields.map((entry: { field: string }) => entry.field)).toContain(field);
  });

  it.each([
    ['an array', [1, 2]],
    ['a number', 42],
    ['null', null],
  ])('a JSON body that is %s -> 400 validation_failed', async (_label, body) => {
    const response = await request(t.url, 'POST', '/api/holds', { rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
  });

  it('no body at all -> 400 validation_failed', async () => {
    const response = await request(t.url, 'POST', '/api/holds');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
  });

  it.each([
    ['truncated', '{"product_id": 1,'],
    ['not JSON', 'product_id=1&qty=1'],
    ['empty with a JSON content type', ''],
  ])('a %s body -> 400 malformed_body', async (_label, rawBody) => {
    const response = await request(t.url, 'POST', '/api/holds', { rawBody, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('malformed_body');
  });

  // Parsable JSON with a field no request takes: the contract's validation_failed (unknown
  // fields included), which the parser refuses before the schema can see it.
  it.each([
    ['__proto__', '{"product_id":1,"qty":1,"__proto__":{"admin":true}}'],
    ['constructor.prototype', '{"product_id":1,"qty":1,"constructor":{"prototype":{"admin":true}}}'],
  ])('a body with %s (prototype poisoning) -> 400 validation_failed, nothing held', async (_label, rawBody) => {
    const productId = await t.createProduct({ totalStock: 5 });
    const response = await request(t.url, 'POST', '/api/holds', { rawBody: rawBody.replace('"product_id":1', `"product_id":${productId}`), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({
      code: 'validation_failed',
      message: 'Invalid body: __proto__ or constructor.prototype.',
      details: { fields: [{ in: 'body', field: '__proto__', message: 'no request takes a __proto__ or constructor.prototype field' }] },
    });
    expect((await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock).toBe(5);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x'])(
    'Content-Type %s -> 415 unsupported_media_type',
    async (contentType) => {
      const response = await request(t.url, 'POST', '/api/holds', { rawBody: '{"product_id":1,"qty":1}', headers: { 'content-type': contentType } });
      expect(response.status).toBe(415);
      expect(response.body.error.code).toBe('unsupported_media_type');
    },
  );

  it.each(['/api/holds', '/api/orders', '/api/payments/webhook'])('a gzip-encoded body to %s -> 415 unsupported_media_type, not a JSON parse error', async (path) => {
    const rawBody = gzipSync(JSON.stringify({ product_id: productId, qty: 1 }));
    const response = await request(t.url, 'POST', path, { rawBody, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('unsupported_media_type');
    expect(response.body.error.message).toMatch(/Content-Encoding 'gzip'/);
  });

  it.each(['identity', '', 'identity, IDENTITY'])('Content-Encoding %j is no encoding: the body is read', async (encoding) => {
    const body = JSON.stringify({ product_id: 999_999, qty: 1 });
    const response = await sendRawHttp(
      t.url,
      `POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: ${encoding}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(response.status).toBe(404);
  });

  it('a request whose body is never read (a GET) is not refused for its Content-Encoding', async () => {
    const response = await sendRawHttp(t.url, `GET /api/products/${productId} HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`);
    expect(response.status).toBe(200);
  });

  it('accepts application/json with a charset', async () => {
    const response = await request(t.url, 'POST', '/api/holds', {
      rawBody: JSON.stringify({ product_id: 999_999, qty: 1 }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(response.status).toBe(404);
  });

  it('a body over the limit -> 413 payload_too_large', async () => {
    const response = await request(t.url, 'POST', '/api/holds', {
      rawBody: JSON.stringify({ product_id: 1, qty: 1, padding: 'x'.repeat(70_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });
});

describe('ids in paths and queries', () => {
  it.each(['abc', '0', '-1', '1.5', '99999999999', '1e400'])('GET /api/holds/%s -> 400 validation_failed', async (id) => {
    const response = await request(t.url, 'GET', `/api/holds/${id}`);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
  });

  it.each(['/api/products/x', '/api/orders/0', '/api/products?limit=0', '/api/products?limit=101', '/api/products?limit=abc', '/api/products?cursor=bm9wZQ', '/api/products?cursor=cDE6', '/api/products?cursor=cDE6MQ%00', '/api/products?cursor=cDE6MDE'])(
    'GET %s -> 400 validation_failed',
    async (path) => {
      const response = await request(t.url, 'GET', path);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
    },
  );

  it('POST /api/orders with a bad hold_id -> 400, unknown fields included', async () => {
    for (const body of [{ hold_id: 'x' }, { hold_id: -3 }, {}, { hold_id: 1, qty: 1 }]) {
      const response = await request(t.url, 'POST', '/api/orders', { body });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
    }
  });
});

describe('routing and request ids', () => {
  it('an unknown route -> 404 route_not_found in the envelope', async () => {
    for (const [method, path] of [['GET', '/api/nope'], ['PUT', '/api/holds/1'], ['PATCH', '/api/orders/1']] as const) {
      const response = await request(t.url, method, path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'route_not_found', message: expect.any(String) } });
    }
  });

  it('echoes the X-Request-Id sent, printable ASCII up to 200 characters, and generates one otherwise, on errors too', async () => {
    for (const sent of ['client-abc.123', 'has space!', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x'.repeat(200)]) {
      const echoed = await request(t.url, 'GET', '/api/nope', { headers: { 'x-request-id': sent } });
      expect(echoed.headers.get('x-request-id')).toBe(sent);
    }
    const generated = await request(t.url, 'GET', '/health/live');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    for (const hostile of ['a b\tc', 'x'.repeat(201)]) {
      const replaced = await request(t.url, 'GET', '/health/live', { headers: { 'x-request-id': hostile } });
      expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('what the HTTP layer answers before any route runs', () => {
  const expectEnvelope = (body: string, code: string) => {
    const parsed = JSON.parse(body);
    expect(parsed).toEqual({ error: { code, message: expect.any(String), ...(parsed.error.details ? { details: expect.anything() } : {}) } });
  };

  it('a path that cannot be URL-decoded -> 400 bad_request', async () => {
    const response = await sendRawHttp(t.url, 'GET /api/products/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(response.status).toBe(400);
    expectEnvelope(response.body, 'bad_request');
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it.each(['/api/products?limit=%zz', '/api/products?cursor=%E0%A4%A', '/api/products/1?x=%'])('a query string that cannot be URL-decoded (%s) -> 400 bad_request', async (path) => {
    const response = await sendRawHttp(t.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'bad_request', message: 'The request URL cannot be decoded.' } });
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('a query string with valid escapes is decoded as usual', async () => {
    // %32 is "2".
    const escaped = await request(t.url, 'GET', '/api/products?limit=%32');
    expect(escaped.status).toBe(200);
    expect(escaped.body).toEqual((await request(t.url, 'GET', '/api/products?limit=2')).body);
  });

  it('an :id longer than the router allows -> 400 validation_failed, not 414', async () => {
    const response = await request(t.url, 'GET', `/api/holds/${'1'.repeat(150)}`);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it.each([
    ['a control character in a header', 'GET /api/products/1 HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n'],
    ['broken chunked framing', 'POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
    ['both Content-Length and chunked', 'POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a malformed request line', 'GARBAGE\r\n\r\n'],
    ['an HTTP/1.1 request without Host', 'GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n'],
    ['a CONNECT (a proxy tunnel)', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
  ])('%s -> 400 bad_request in the envelope', async (_label, raw) => {
    const response = await sendRawHttp(t.url, raw);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expectEnvelope(response.body, 'bad_request');
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('Idempotency-Key sent twice -> 400 validation_failed, not a key made of both; one key with ", " in it is a key', async () => {
    const body = JSON.stringify({ product_id: 999_999, qty: 1 });
    const send = (keyHeaders: string) =>
      sendRawHttp(t.url, `POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${keyHeaders}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    const twice = await send('Idempotency-Key: dup-a\r\nIdempotency-Key: dup-b\r\n');
    expect(twice.status).toBe(400);
    expectEnvelope(twice.body, 'validation_failed');
    expect(JSON.parse(twice.body).error.details.fields).toEqual([{ in: 'headers', field: 'idempotency-key', message: 'must be sent once' }]);
    // The same characters sent once are a key like any other (the product does not exist: 404).
    expect((await send('Idempotency-Key: dup-a, dup-b\r\n')).status).toBe(404);
    // A route that takes no key is not refused for two of them.
    const read = await sendRawHttp(t.url, `GET /api/products/${productId} HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nConnection: close\r\n\r\n`);
    expect(read.status).toBe(200);
  });

  it('an Expect the server does not know -> 400 bad_request in the envelope, and nothing is created', async () => {
    const body = JSON.stringify({ product_id: productId, qty: 1 });
    const response = await sendRawHttp(
      t.url,
      `POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: teapot\r\nX-Request-Id: expect-1\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(response.status).toBe(400);
    expectEnvelope(response.body, 'bad_request');
    expect(response.headers['x-request-id']).toBe('expect-1');
    expect(await t.db.hold.count()).toBe(0);
  });
});
