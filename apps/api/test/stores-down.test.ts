import { afterEach, describe, expect, it } from 'vitest';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// A store that is down gets a 503 with Retry-After and a clear log line, not a hang; Redis being
// down degrades reads to MySQL and leaves holds working.

const NOTHING_LISTENS = '127.0.0.1:9';
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('MySQL unreachable', () => {
  it('answers 503 service_unavailable with Retry-After, and readiness says which store is down', async () => {
    t = await startTestApp({ DATABASE_URL: `mysql://root@${NOTHING_LISTENS}/flash_sale` });
    // Start-up waited for the stores, said which one is down, and went on to serve.
    expect(await t.services.waitForStores(100)).toEqual({ mysql: 'down', redis: 'ok' });
    expect(t.logs.some((line) => line.level === 'error' && String(line.msg).startsWith('MySQL is not answering at start-up'))).toBe(true);

    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: 1, qty: 1 } });
    expect(hold.status).toBe(503);
    expect(hold.body.error.code).toBe('service_unavailable');
    expect(Number(hold.headers.get('retry-after'))).toBeGreaterThan(0);

    // Answered by the open circuit, without trying MySQL: still the contract's 503 with Retry-After.
    const read = await request(t.url, 'GET', '/api/products/1');
    expect(read.status).toBe(503);
    expect(read.body.error.code).toBe('service_unavailable');
    expect(Number(read.headers.get('retry-after'))).toBeGreaterThan(0);
    const another = await request(t.url, 'POST', '/api/holds', { body: { product_id: 1, qty: 1 } });
    expect(another.status).toBe(503);
    expect(Number(another.headers.get('retry-after'))).toBeGreaterThan(0);

    const ready = await request(t.url, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'unavailable', checks: { mysql: 'down', redis: 'ok' } });
    expect((await request(t.url, 'GET', '/health/live')).status).toBe(200);

    expect(t.logs.some((line) => line.level === 'error' && line.msg === 'MySQL is unavailable.')).toBe(true);
    // Said once, when the first refusal opened the circuit; later calls failed fast without a line each.
    expect(t.logs.filter((line) => String(line.msg).startsWith('MySQL refuses connections'))).toHaveLength(1);
  });
});

describe('Redis unreachable', () => {
  it('still creates holds from MySQL, reads fall back to MySQL, and the failures are logged', async () => {
    t = await startTestApp({ REDIS_URL: `redis://${NOTHING_LISTENS}` });
    expect(t.logs.some((line) => line.level === 'warn' && String(line.msg).startsWith('Redis is not answering at start-up'))).toBe(true);
    const productId = await t.createProduct({ totalStock: 5 });

    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    expect(hold.status).toBe(201);
    const read = await request(t.url, 'GET', `/api/products/${productId}`);
    expect(read.status).toBe(200);
    expect(read.body.available_stock).toBe(3);

    const ready = await request(t.url, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ mysql: 'ok', redis: 'down' });

    const messages = t.logs.map((line) => line.msg);
    expect(messages).toContain('enqueue failed; the sweeper will pick this up');
    expect(messages).toContain('product cache write-through failed');
    expect(messages).toContain('product cache unreachable; reading MySQL');
  });
});

describe('health', () => {
  it('is live and ready when both stores answer', async () => {
    t = await startTestApp();
    // The api listens only once its connections are up, so its first probe is already ready.
    expect(await t.services.waitForStores(2_000)).toEqual({ mysql: 'ok', redis: 'ok' });
    expect((await request(t.url, 'GET', '/health/live')).body).toEqual({ status: 'ok' });
    const ready = await request(t.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { mysql: 'ok', redis: 'ok' } });
  });
});
