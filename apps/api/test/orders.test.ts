import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ ORDER_PAYMENT_TIMEOUT_SECONDS: '900' });
});
afterAll(async () => t?.close());

async function holdOf(productId: number, qty: number): Promise<number> {
  const response = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty } });
  expect(response.status).toBe(201);
  return response.body.hold_id;
}

describe('orders', () => {
  it('turns a hold into a pending order priced qty x price, and reads it back', async () => {
    const productId = await t.createProduct({ totalStock: 10, price: '199.99' });
    const holdId = await holdOf(productId, 3);
    const created = await request(t.url, 'POST', '/api/orders', { body: { hold_id: holdId } });

    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      order_id: expect.any(Number),
      hold_id: holdId,
      product_id: productId,
      qty: 3,
      amount: '599.97',
      status: 'pending',
      cancel_reason: null,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    const read = await request(t.url, 'GET', `/api/orders/${created.body.order_id}`);
    expect(read.body).toEqual(created.body);
    // Stock moved from the hold to the order: still taken.
    expect((await request(t.url, 'GET', `/api/products/${productId}`)).body.available_stock).toBe(7);
    expect((await request(t.url, 'GET', `/api/holds/${holdId}`)).body).toMatchObject({ status: 'used', order_id: created.body.order_id });
  });

  it('prices the largest qty at the largest price a product can have', async () => {
    // products.price is DECIMAL(10, 2); the order's amount is that times up to MAX_QTY_PER_HOLD (10).
    const productId = await t.createProduct({ totalStock: 10, price: '99999999.99' });
    const created = await request(t.url, 'POST', '/api/orders', { body: { hold_id: await holdOf(productId, 10) } });
    expect({ status: created.status, amount: created.body.amount }).toEqual({ status: 201, amount: '999999999.90' });
    expect((await request(t.url, 'GET', `/api/orders/${created.body.order_id}`)).body.amount).toBe('999999999.90');
  });

  it('enqueues the payment-timeout job for the new order', async () => {
    const productId = await t.createProduct();
    const created = await request(t.url, 'POST', '/api/orders', { body: { hold_id: await holdOf(productId, 1) } });
    const job = await t.queue('order-timeout').getJob(`order-${created.body.order_id}`);
    expect(job?.data).toEqual({ orderId: created.body.order_id });
    expect(job?.delay).toBeGreaterThan(899_000);
  });

  it('makes exactly one order when the same hold is posted twice in parallel', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const holdId = await holdOf(productId, 2);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => request(t.url, 'POST', '/api/orders', { body: { hold_id: holdId } })),
    );
    const created = responses.filter((response) => response.status === 201);
    expect(created).toHaveLength(1);
    for (const response of responses.filter((candidate) => candidate.status !== 201)) {
      expect(response.status).toBe(409);
      expect(response.body.error).toMatchObject({ code: 'hold_already_used', details: { order_id: created[0]!.body.order_id } });
    }
    expect(await t.db.order.count({ where: { holdId } })).toBe(1);
  });

  it('404s an unknown hold and an unknown order', async () => {
    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: 987_654 } });
    expect(order.status).toBe(404);
    expect(order.body.error.code).toBe('hold_not_found');
    const read = await request(t.url, 'GET', '/api/orders/987654');
    expect(read.status).toBe(404);
    expect(read.body.error.code).toBe('order_not_found');
  });
  // Last: it moves the test clock on.
  it('dates the order at the moment it was decided: before its hold expired, its payment deadline exactly the timeout later', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const holdId = await holdOf(productId, 1);
    const hold = await t.db.hold.findUniqueOrThrow({ where: { id: holdId } });
    // The last moment the hold can be used: 50 ms before it expires.
    t.clock.advanceSeconds((hold.expiresAt.getTime() - t.clock.now().getTime() - 50) / 1000);
    const created = await request(t.url, 'POST', '/api/orders', { body: { hold_id: holdId } });
    expect(created.status).toBe(201);
    const order = await t.db.order.findUniqueOrThrow({ where: { id: created.body.order_id } });
    expect(order.createdAt.getTime()).toBeLessThan(hold.expiresAt.getTime());
    expect(order.createdAt.getTime()).toBeGreaterThanOrEqual(hold.expiresAt.getTime() - 50);
    expect(order.paymentDueAt.getTime() - order.createdAt.getTime()).toBe(900_000);
    expect([created.body.created_at, created.body.updated_at]).toEqual([order.createdAt.toISOString(), order.createdAt.toISOString()]);
  });
});
