import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type Socket } from 'node:net';
import { apiOperations } from './support/operations.ts';
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

describe('GET /docs/json', () => {
  const openApi = async () => {
    const response = await request(t.url, 'GET', '/docs/json');
    expect(response.status).toBe(200);
    return response.body;
  };

  it('serves the OpenAPI 3.1 document of every endpoint of the contract', async () => {
    const document = await openApi();
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual([...apiOperations].sort());
    const createHold = document.paths['/api/holds'].post;
    expect(Object.keys(createHold.responses)).toEqual(expect.arrayContaining(['201', '400', '404', '409', '422', '503']));
    expect(createHold.requestBody.content['application/json'].schema.required).toEqual(['product_id', 'qty']);
  });

  it('gives every operation an example, and every error response its envelope, codes and an example', async () => {
    const document = await openApi();
    const withoutExample: string[] = [];
    const badErrors: string[] = [];
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        const name = `${method.toUpperCase()} ${path}`;
        const media = (content: any) => Object.values(content ?? {}) as any[];
        const success = Object.entries(operation.responses as Record<string, any>).filter(([status]) => status.startsWith('2'));
        const hasExample = [...media(operation.requestBody?.content), ...success.flatMap(([, response]) => media(response.content))].some(
          (each) => each.example !== undefined || each.examples !== undefined || each.schema?.examples !== undefined,
        );
        if (!hasExample) withoutExample.push(name);
        for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
          // Readiness answers 503 with its own body (which store is down), as the contract says.
          if (Number(status) < 400 || name === 'GET /health/ready') continue;
          const [content] = media(response.content);
          const example = content?.example ?? content?.schema?.examples?.[0];
          const codes = [...String(response.description).matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);
          if (!content?.schema?.properties?.error || !example?.error?.code || !codes.includes(example.error.code)) badErrors.push(`${name} ${status}`);
        }
      }
    }
    expect(withoutExample).toEqual([]);
    expect(badErrors).toEqual([]);
    // Every code the contract lists appears in the document.
    const text = JSON.stringify(document);
    for (const code of ['validation_failed', 'malformed_body', 'bad_request', 'unsupported_media_type', 'payload_too_large', 'route_not_found', 'product_not_found', 'hold_not_found', 'order_not_found', 'insufficient_stock', 'hold_expired', 'hold_already_used', 'hold_released', 'idempotency_key_in_use', 'idempotency_key_reused', 'invalid_signature', 'service_unavailable']) {
      expect(text).toContain(`\`${code}\``);
    }
  });

  it("describes the webhook's signature as a security scheme that the webhook requires", async () => {
    const document = await openApi();
    expect(document.components.securitySchemes.paymentSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'Payment-Signature' });
    expect(document.components.securitySchemes.paymentSignature.description).toContain('HMAC-SHA256');
    expect(document.paths['/api/payments/webhook'].post.security).toEqual([{ paymentSignature: [] }]);
  });

  it('GET /docs is a browsable page, served from our own dependencies', async () => {
    const page = await fetch(`${t.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    // Every script and stylesheet it loads is ours (relative), none from a CDN.
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => /^(https?:)?\/\//.test(source))).toEqual([]);
  });

  it('has no route without a schema: every operation declares a success response with its body', async () => {
    // Fastify documents a route without a response schema with a bare 200 ("Default Response",
    // no body): the generated document shows it. The documentation page's own routes are hidden.
    const document = (await request(t.url, 'GET', '/docs/json')).body;
    const withoutSchema = Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })))
      .filter(({ operation }) => !Object.entries(operation.responses).some(([status, response]) => status.startsWith('2') && Object.values(response.content ?? {}).some((media) => media.schema)))
      .map(({ name }) => name);
    expect(withoutSchema).toEqual([]);
  });
});

describe('while the api shuts down', () => {
  /**
   * A request whose headers arrived in two parts, the second once `app.close()` has begun: the
   * connection is not idle, so the server keeps it, and the request is served while closing.
   */
  async function askWhileClosing(app: TestApp, paths: string[]): Promise<{ status: number; headers: string; body: unknown }[]> {
    const { port } = new URL(app.url);
    const sockets = await Promise.all(
      paths.map(
        (path) =>
          new Promise<Socket>((resolve, reject) => {
            const socket = connect(Number(port), '127.0.0.1', () => {
              socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n`);
              resolve(socket);
            });
            socket.once('error', reject);
          }),
      ),
    );
    // Each socket accepted by the server before it closes, and the close under way (its preClose
    // hook has run once the server stops listening) before the headers are finished.
    const { server } = app.app;
    const connections = () => new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    await vi.waitFor(async () => expect(await connections()).toBe(paths.length), { timeout: 5_000, interval: 10 });
    const closing = app.app.close();
    await vi.waitFor(() => expect(server.listening).toBe(false), { timeout: 5_000, interval: 10 });
    const answers = await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<string>((resolve) => {
            let received = '';
            socket.on('data', (chunk) => (received += chunk.toString()));
            socket.on('close', () => resolve(received));
            socket.write('Connection: close\r\n\r\n');
          }),
      ),
    );
    await closing;
    return answers.map((raw) => {
      const [head, body] = raw.split('\r\n\r\n');
      return { status: Number(head!.split(' ')[1]), headers: head!.toLowerCase(), body: JSON.parse(body!) };
    });
  }

  it('says so: readiness 503 in its own shape, anything else 503 in the envelope with Retry-After', async () => {
    const closingApp = await startTestApp();
    try {
      const [ready, read] = await askWhileClosing(closingApp, ['/health/ready', '/api/products/1']);
      expect({ status: ready!.status, body: ready!.body }).toEqual({ status: 503, body: { status: 'unavailable', checks: { mysql: 'ok', redis: 'ok' } } });
      expect({ status: read!.status, body: read!.body }).toMatchObject({ status: 503, body: { error: { code: 'service_unavailable' } } });
      expect(read!.headers).toContain('retry-after: 1');
    } finally {
      await closingApp.close();
    }
  });
});
