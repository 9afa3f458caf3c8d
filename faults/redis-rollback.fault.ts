import { request } from '@flash-sale/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFaultStackWithApi, type ApiProcess, type FaultStack } from './support/stack.ts';

// Redis comes back with data older than its last writes: restarted from an RDB saved before
// them, as a promoted replica that missed them would be. The product's cached snapshot it brings
// back says "sold out" while MySQL has stock again; reads and holds must not believe it.

let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  ({ stack, api } = await startFaultStackWithApi({ HOLD_TTL_SECONDS: '600', PRODUCT_CACHE_TTL_SECONDS: '600' }));
});
afterAll(async () => stack?.close());

const availableRead = async (productId: number) => (await request(api.url, 'GET', `/api/products/${productId}`)).body.available_stock as number;

describe('Redis back from a snapshot older than its last writes', () => {
  it('serves the live stock and grants holds, not the sold-out snapshot it brought back', async () => {
    const productId = await stack.createProduct(5);
    const holds: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      const hold = await request(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
      expect(hold.status).toBe(201);
      holds.push(hold.body.hold_id);
    }
    expect(await availableRead(productId)).toBe(0);
    // Sold out, and saved to disk so.
    await stack.redisClient.save();

    for (const holdId of holds) expect((await request(api.url, 'DELETE', `/api/holds/${holdId}`)).status).toBe(200);
    expect(await availableRead(productId)).toBe(5);

    await stack.redis.kill();
    await stack.redis.up();
    // The snapshot came back with the sold-out entry in it, written on the server before.
    const entry = await stack.redisClient.hget(`${stack.prefix}:product:${productId}`, 'd');
    expect(entry && JSON.parse(entry).availableStock).toBe(0);

    // Once the api's cache connection is back on the restarted server (until then its reads go
    // to MySQL), it reads the live stock and grants a hold.
    await vi.waitFor(async () => expect(await stack.redisClient.client('LIST')).toContain(`name=${stack.prefix}:api `), { timeout: 15_000, interval: 100 });
    expect(await availableRead(productId)).toBe(5);
    const hold = await request(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
    expect(hold.status).toBe(201);
    expect(await availableRead(productId)).toBe(4);
  });
});
