import { createHoldBatcher, releaseHold, runIdempotent, type CheckoutDeps, type HoldView } from '@flash-sale/checkout';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { presentHold } from '../src/presenters/present.ts';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// An api process that dies between a commit and its cache write-through leaves the product's
// cached snapshot from before the change. Its caller never got an answer; but its retry does get
// one, from another process: a keyed POST replays the stored 201, a DELETE finds the hold
// released, an order is refused as its hold was released. That answer tells the caller of the
// change, so the product's next read must show it
// (the contract: a POST /api/holds that returned 201 shows in the caller's next read).

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

/** The domain of a process that dies right after its COMMIT: its write-through never happens. */
function diesAfterCommit(deps: CheckoutDeps): CheckoutDeps {
  return { ...deps, productCache: { ...deps.productCache, writeThrough: () => new Promise<void>(() => undefined) } };
}

const availableInMysql = async (productId: number) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock;
const readProduct = async (productId: number) => (await request(t.url, 'GET', `/api/products/${productId}`)).body.available_stock as number;

describe("a retry answered by another process after the first one died before its cache write-through", () => {
  it('a keyed POST /api/holds replayed as 201: the next read shows the hold', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    expect(await readProduct(productId)).toBe(10);
    const body = { product_id: productId, qty: 3 };
    const key = `lost-write-through-${productId}`;
    // The first try, run as the route runs it, on a process that never answers.
    const dying = diesAfterCommit(t.services.deps);
    const batcher = createHoldBatcher(dying);
    void runIdempotent<HoldView>(
      dying,
      { scope: 'POST /api/holds', key, body },
      (completion) => batcher.createHold({ productId, qty: 3 }, { idempotency: completion }),
      (hold) => ({ status: 201, body: presentHold(hold) }),
    );
    await vi.waitFor(async () => expect(await availableInMysql(productId)).toBe(7), { timeout: 5_000, interval: 20 });
    expect(await readProduct(productId)).toBe(10);

    const retry = await request(t.url, 'POST', '/api/holds', { body, headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await readProduct(productId)).toBe(7);
  });

  it('a DELETE /api/holds/:id answered "released": the next read shows the stock back, and it can be held again', async () => {
    const productId = await t.createProduct({ totalStock: 4 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 4 } });
    expect(hold.status).toBe(201);
    expect(await readProduct(productId)).toBe(0);
    void releaseHold(diesAfterCommit(t.services.deps), hold.body.hold_id);
    await vi.waitFor(async () => expect(await availableInMysql(productId)).toBe(4), { timeout: 5_000, interval: 20 });
    expect(await readProduct(productId)).toBe(0);

    const retry = await request(t.url, 'DELETE', `/api/holds/${hold.body.hold_id}`);
    expect(retry.status).toBe(200);
    expect(retry.body.status).toBe('released');
    expect(await readProduct(productId)).toBe(4);
    // The api's check of the snapshot before the line no longer refuses the freed units.
    expect((await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 4 } })).status).toBe(201);
  });

  it('a POST /api/orders refused with hold_released: the next read shows the stock back', async () => {
    const productId = await t.createProduct({ totalStock: 4 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 3 } });
    expect(await readProduct(productId)).toBe(1);
    void releaseHold(diesAfterCommit(t.services.deps), hold.body.hold_id);
    await vi.waitFor(async () => expect(await availableInMysql(productId)).toBe(4), { timeout: 5_000, interval: 20 });
    expect(await readProduct(productId)).toBe(1);

    const order = await request(t.url, 'POST', '/api/orders', { body: { hold_id: hold.body.hold_id } });
    expect(order.status).toBe(409);
    expect(order.body.error.code).toBe('hold_released');
    expect(await readProduct(productId)).toBe(4);
  });
});
