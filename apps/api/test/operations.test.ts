import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

/** The value of one series in Prometheus text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('exposes requests, holds, orders, refusals and queue depths after a hold and an order', async () => {
    const productId = await t.createProduct({ totalStock: 2 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
    await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });

    const response = await fetch(`${t.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(sample(text, 'flash_sale_holds_created_total')).toBe(1);
    expect(sample(text, 'flash_sale_hold_units_created_total')).toBe(2);
    expect(sample(text, 'flash_sale_orders_created_total')).toBe(1);
    expect(sample(text, 'flash_sale_holds_rejected_total', { reason: 'insufficient_stock' })).toBe(1);
    expect(sample(text, 'flash_sale_http_requests_total', { method: 'POST', route: '/api/holds', status: '201' })).toBe(1);
    expect(sample(text, 'flash_sale_http_requests_total', { method: 'POST', route: '/api/holds', status: '409' })).toBe(1);
    expect(sample(text, 'flash_sale_http_request_duration_seconds_count', { route: '/api/orders', status: '201' })).toBe(1);
    expect(sample(text, 'flash_sale_queue_jobs', { queue: 'hold-expiry', state: 'delayed' })).toBe(1);
    expect(sample(text, 'flash_sale_queue_jobs', { queue: 'order-timeout', state: 'delayed' })).toBe(1);
    expect(sample(text, 'flash_sale_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('labels unknown routes by a fixed name, not by the raw URL', async () => {
    await request(t.url, 'GET', '/api/does-not-exist-12345');
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).not.toContain('does-not-exist-12345');
    expect(sample(text, 'flash_sale_http_requests_total', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
  });
});

describe('GET /docs', () => {
  it('serves the OpenAPI document of every endpoint of the contract', async () => {
    const response = await request(t.url, 'GET', '/docs');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    const operations = Object.entries(response.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /api/products',
        'GET /api/products/{id}',
        'POST /api/holds',
        'GET /api/holds/{id}',
        'DELETE /api/holds/{id}',
        'POST /api/orders',
        'GET /api/orders/{id}',
        'POST /api/payments/webhook',
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
        'GET /docs',
      ].sort(),
    );
    const createHold = response.body.paths['/api/holds'].post;
    expect(Object.keys(createHold.responses)).toEqual(expect.arrayContaining(['201', '400', '404', '409', '422', '503']));
    expect(createHold.requestBody.content['application/json'].schema.required).toEqual(['product_id', 'qty']);
  });

  it('has no route without a schema: every route declares its responses', () => {
    const routes = t.app.routeTable.filter((route) => route.method !== 'HEAD');
    expect(routes.length).toBeGreaterThanOrEqual(12);
    const withoutSchema = routes
      .filter((route) => {
        const schema = route.schema as { response?: Record<string, unknown> } | undefined;
        return !schema?.response || !Object.keys(schema.response).some((status) => status.startsWith('2'));
      })
      .map((route) => `${route.method} ${route.url}`);
    expect(withoutSchema).toEqual([]);
  });
});
