import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdRowLock } from '@flash-sale/testing';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// Real parallel HTTP requests against one product row: the hold transaction must never sell a
// unit twice or lose one, and the cached read must match MySQL afterwards.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ MAX_QTY_PER_HOLD: '3' });
});
afterAll(async () => t?.close());

async function availableInMysql(productId: number): Promise<number> {
  const product = await t.db.product.findUniqueOrThrow({ where: { id: productId } });
  return product.availableStock;
}

describe('POST /api/holds under concurrency', () => {
  it('sells the last unit exactly once: stock 1, 50 parallel holds of qty 1', async () => {
    const productId = await t.createProduct({ totalStock: 1 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } })),
    );

    const created = responses.filter((response) => response.status === 201);
    const refused = responses.filter((response) => response.status === 409);
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(49);
    for (const response of refused) {
      expect(response.body).toEqual({
        error: { code: 'insufficient_stock', message: expect.any(String), details: { available_stock: 0 } },
      });
    }
    expect(await availableInMysql(productId)).toBe(0);
    expect(await t.db.hold.count({ where: { productId } })).toBe(1);
    const read = await request(t.url, 'GET', `/api/products/${productId}`);
    expect(read.body.available_stock).toBe(0);
  });

  it('a crowd of 500 with qty 1..3 on stock 100 loses and doubles nothing', async () => {
    const productId = await t.createProduct({ totalStock: 100 });
    const quantities = Array.from({ length: 500 }, (_, index) => (index % 3) + 1);
    const responses = await Promise.all(
      quantities.map((qty) => request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty } })),
    );

    const unexpected = responses.filter((response) => response.status !== 201 && response.status !== 409);
    expect(unexpected.map((response) => response.body)).toEqual([]);
    const granted = responses.filter((response) => response.status === 201).reduce((sum, response) => sum + response.body.qty, 0);
    const finalAvailable = await availableInMysql(productId);

    // A request is refused only when less than its qty remains, so at most 2 units stay unsold.
    expect(granted).toBeGreaterThanOrEqual(98);
    expect(granted).toBeLessThanOrEqual(100);
    expect(finalAvailable).toBe(100 - granted);
    responses.forEach((response, index) => {
      if (response.status !== 409) return;
      expect(response.body.error.code).toBe('insufficient_stock');
      expect(response.body.error.details.available_stock).toBeLessThan(quantities[index]!);
      expect(finalAvailable).toBeLessThan(quantities[index]!);
    });

    // The ledger agrees: the holds in MySQL add up to what was granted, one row per 201.
    const holds = await t.db.hold.aggregate({ where: { productId, status: 'active' }, _sum: { qty: true }, _count: true });
    expect(holds._sum.qty).toBe(granted);
    expect(holds._count).toBe(responses.filter((response) => response.status === 201).length);
    const holdIds = responses.filter((response) => response.status === 201).map((response) => response.body.hold_id);
    expect(new Set(holdIds).size).toBe(holdIds.length);

    const read = await request(t.url, 'GET', `/api/products/${productId}`);
    expect(read.body.available_stock).toBe(finalAvailable);
  });

  it('every 201 is visible in the next cached read, even while other holds run', async () => {
    const productId = await t.createProduct({ totalStock: 60 });
    // Warm the cache so reads are served from Redis, not MySQL.
    expect((await request(t.url, 'GET', `/api/products/${productId}`)).body.available_stock).toBe(60);

    const observations = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
        const read = await request(t.url, 'GET', `/api/products/${productId}`);
        return { hold, read };
      }),
    );
    for (const { hold, read } of observations) {
      expect(hold.status).toBe(201);
      // After my hold, at most 60 - 2 remain, whatever the others did meanwhile.
      expect(read.body.available_stock).toBeLessThanOrEqual(58);
    }
    const cached = JSON.parse((await t.redis.hget(`${t.config.redisKeyPrefix}:product:${productId}`, 'd')) ?? '{}');
    expect(cached.availableStock).toBe(0);
    expect(await availableInMysql(productId)).toBe(0);
  });

  it('refuses a hold that cannot be met at once, without queueing on the product row lock', async () => {
    const productId = await t.createProduct({ totalStock: 2 });
    const lock = await holdRowLock(t.db, 'products', productId);
    let waiting: Promise<Awaited<ReturnType<typeof request>>> | undefined;
    try {
      // A hold that fits must wait for the lock; one that cannot fit is answered while it is held.
      waiting = request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
      let settled = false;
      void waiting.finally(() => (settled = true));
      const refused = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 3 } });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'insufficient_stock', details: { available_stock: 2 } });
      expect(settled).toBe(false);
    } finally {
      await lock.release();
    }
    expect((await waiting).status).toBe(201);
    expect(await availableInMysql(productId)).toBe(0);
  });
});
