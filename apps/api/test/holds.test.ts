import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ HOLD_TTL_SECONDS: '120' });
});
afterAll(async () => t?.close());

const hold = (productId: number, qty = 1) => request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty } });
const available = async (productId: number) => (await request(t.url, 'GET', `/api/products/${productId}`)).body.available_stock;

describe('holds', () => {
  it('creates an active hold that expires HOLD_TTL_SECONDS from now, and reads it back', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const before = t.clock.now().getTime();
    const created = await hold(productId, 2);

    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      hold_id: expect.any(Number),
      product_id: productId,
      qty: 2,
      status: 'active',
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      order_id: null,
    });
    const expiresAt = Date.parse(created.body.expires_at);
    expect(expiresAt - before).toBeGreaterThanOrEqual(120_000);
    expect(expiresAt - before).toBeLessThan(125_000);
    expect(await available(productId)).toBe(3);

    const read = await request(t.url, 'GET', `/api/holds/${created.body.hold_id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('enqueues a delayed expiry job with the hold id as job id', async () => {
    const productId = await t.createProduct();
    const created = await hold(productId);
    const job = await t.queue('hold-expiry').getJob(`hold-${created.body.hold_id}`);

    expect(job?.data).toEqual({ holdId: created.body.hold_id });
    expect(job?.name).toBe('expire-hold');
    expect(await job?.getState()).toBe('delayed');
    expect(job!.timestamp + job!.delay).toBeGreaterThanOrEqual(Date.parse(created.body.expires_at) - 1_000);
    expect(job!.timestamp + job!.delay).toBeLessThanOrEqual(Date.parse(created.body.expires_at) + 1_000);
  });

  it('404s an unknown product and an unknown hold', async () => {
    const missingProduct = await hold(999_999);
    expect(missingProduct.status).toBe(404);
    expect(missingProduct.body.error.code).toBe('product_not_found');
    const missingHold = await request(t.url, 'GET', '/api/holds/999999');
    expect(missingHold.status).toBe(404);
    expect(missingHold.body.error.code).toBe('hold_not_found');
    expect((await request(t.url, 'DELETE', '/api/holds/999999')).body.error.code).toBe('hold_not_found');
  });

  it('refuses a qty larger than what is left, saying what is left', async () => {
    const productId = await t.createProduct({ totalStock: 3 });
    const refused = await hold(productId, 4);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'insufficient_stock', details: { available_stock: 3 } });
    expect(await available(productId)).toBe(3);
  });
});

describe('DELETE /api/holds/:id (early release)', () => {
  it('gives the stock back at once, and the hold can no longer be ordered', async () => {
    const productId = await t.createProduct({ totalStock: 4 });
    const created = await hold(productId, 3);
    expect(await available(productId)).toBe(1);

    const released = await request(t.url, 'DELETE', `/api/holds/${created.body.hold_id}`);
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ hold_id: created.body.hold_id, status: 'released', order_id: null });
    expect(await available(productId)).toBe(4);
    expect(await t.queue('hold-expiry').getJob(`hold-${created.body.hold_id}`)).toBeUndefined();

    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: created.body.hold_id } });
    expect(order.status).toBe(409);
    expect(order.body.error.code).toBe('hold_released');
  });

  it('takes a JSON Content-Type with no body, as some clients send on every request, as no body', async () => {
    const productId = await t.createProduct({ totalStock: 4 });
    const created = await hold(productId, 3);
    const released = await request(t.url, 'DELETE', `/api/holds/${created.body.hold_id}`, { headers: { 'content-type': 'application/json' } });
    expect({ status: released.status, body: released.body }).toMatchObject({ status: 200, body: { hold_id: created.body.hold_id, status: 'released' } });
    expect(await available(productId)).toBe(4);
  });

  it('returns a released hold unchanged when released again, without returning stock twice', async () => {
    const productId = await t.createProduct({ totalStock: 4 });
    const created = await hold(productId, 2);
    const first = await request(t.url, 'DELETE', `/api/holds/${created.body.hold_id}`);
    const second = await request(t.url, 'DELETE', `/api/holds/${created.body.hold_id}`);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await available(productId)).toBe(4);
  });

  it('refuses to release a used hold, naming its order', async () => {
    const productId = await t.createProduct({ totalStock: 4 });
    const created = await hold(productId, 2);
    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: created.body.hold_id } });
    const released = await request(t.url, 'DELETE', `/api/holds/${created.body.hold_id}`);
    expect(released.status).toBe(409);
    expect(released.body.error).toMatchObject({ code: 'hold_already_used', details: { order_id: order.body.order_id } });
    expect(await available(productId)).toBe(2);
    expect((await request(t.url, 'GET', `/api/holds/${created.body.hold_id}`)).body).toMatchObject({
      status: 'used',
      order_id: order.body.order_id,
    });
  });

  it('lets exactly one of a release and an order on the same hold win, every time', async () => {
    const productId = await t.createProduct({ totalStock: 20 });
    for (let round = 0; round < 10; round += 1) {
      const created = await hold(productId, 1);
      const holdId = created.body.hold_id;
      const [released, ordered] = await Promise.all([
        request(t.url, 'DELETE', `/api/holds/${holdId}`),
        request(t.url, 'POST', '/api/orders', { body: { hold_id: holdId } }),
      ]);
      const winners = [released.status === 200, ordered.status === 201].filter(Boolean);
      expect(winners).toHaveLength(1);
      if (released.status === 200) expect(ordered.body.error.code).toBe('hold_released');
      else expect(released.body.error.code).toBe('hold_already_used');
    }
    // Every round either returned its unit (release) or kept it in an order.
    const orders = await t.db.order.count({ where: { productId } });
    expect(await available(productId)).toBe(20 - orders);
  });
});

describe('expiry by the clock', () => {
  it('reads as expired once expires_at has passed, before any worker ran, and cannot be ordered', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const created = await hold(productId, 2);
    t.clock.advanceSeconds(121);

    const read = await request(t.url, 'GET', `/api/holds/${created.body.hold_id}`);
    expect(read.body.status).toBe('expired');
    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: created.body.hold_id } });
    expect(order.status).toBe(409);
    expect(order.body.error.code).toBe('hold_expired');
    // The refused order expired the hold on the spot, so its stock is back already.
    expect(await available(productId)).toBe(5);
    expect((await t.db.hold.findUniqueOrThrow({ where: { id: created.body.hold_id } })).status).toBe('expired');

    const again = await request(t.url, 'POST', '/api/orders', { body: { hold_id: created.body.hold_id } });
    expect(again.body.error.code).toBe('hold_expired');
    expect(await available(productId)).toBe(5);
  });

  it('releasing a hold past its time expires it, returns the stock once, and is stable', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const created = await hold(productId, 2);
    t.clock.advanceSeconds(121);

    const released = await request(t.url, 'DELETE', `/api/holds/${created.body.hold_id}`);
    expect(released.status).toBe(200);
    expect(released.body.status).toBe('expired');
    expect(await available(productId)).toBe(5);
    const again = await request(t.url, 'DELETE', `/api/holds/${created.body.hold_id}`);
    expect(again.body).toEqual(released.body);
    expect(await available(productId)).toBe(5);
  });
});
