import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runIdempotent } from '@flash-sale/checkout';
import { createDb } from '@flash-sale/db';
import { InsufficientStockError, ServiceUnavailableError } from '@flash-sale/errors';
import { CuttableProxy, holdRowLock } from '@flash-sale/testing';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

let keyCount = 0;
const newKey = () => `key-${Date.now()}-${(keyCount += 1)}`;
const postHold = (key: string, body: unknown) =>
  request(t.url, 'POST', '/api/holds', { body, headers: { 'idempotency-key': key } });
const availableInMysql = async (productId: number) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock;

describe('Idempotency-Key on POST /api/holds and POST /api/orders', () => {
  it('replays the stored response for the same key and body, changing nothing', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const key = newKey();
    const first = await postHold(key, { product_id: productId, qty: 2 });
    const second = await postHold(key, { qty: 2, product_id: productId });

    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await t.db.hold.count({ where: { productId } })).toBe(1);
    expect(await availableInMysql(productId)).toBe(8);
  });

  it('refuses the same key with a different body (422), changing nothing', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const key = newKey();
    await postHold(key, { product_id: productId, qty: 1 });
    const reused = await postHold(key, { product_id: productId, qty: 3 });

    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(await availableInMysql(productId)).toBe(9);
  });

  it('answers 409 idempotency_key_in_use while the first request is still being processed', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const key = newKey();
    // Hold the product's row lock so the first request waits inside its transaction.
    const lock = await holdRowLock(t.db, 'products', productId);

    const first = postHold(key, { product_id: productId, qty: 1 });
    await vi.waitFor(async () => expect(await t.db.idempotencyKey.count({ where: { key } })).toBe(1), { timeout: 5_000, interval: 20 });
    const second = await postHold(key, { product_id: productId, qty: 1 });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('idempotency_key_in_use');

    await lock.release();
    expect((await first).status).toBe(201);
    const third = await postHold(key, { product_id: productId, qty: 1 });
    expect(third.headers.get('idempotent-replayed')).toBe('true');
    expect(third.body).toEqual((await first).body);
    expect(await availableInMysql(productId)).toBe(9);
  });

  it('creates one hold when the same key is sent ten times at once', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const key = newKey();
    const responses = await Promise.all(Array.from({ length: 10 }, () => postHold(key, { product_id: productId, qty: 1 })));

    const fresh = responses.filter((response) => response.status === 201 && !response.headers.get('idempotent-replayed'));
    expect(fresh).toHaveLength(1);
    for (const response of responses) {
      if (response === fresh[0]) continue;
      if (response.status === 201) expect(response.body).toEqual(fresh[0]!.body);
      else expect(response.body.error.code).toBe('idempotency_key_in_use');
    }
    expect(await t.db.hold.count({ where: { productId } })).toBe(1);
    expect(await availableInMysql(productId)).toBe(9);
  });

  it('replays a refusal as a refusal, even after the stock came back', async () => {
    const productId = await t.createProduct({ totalStock: 1 });
    const other = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
    const key = newKey();
    const refused = await postHold(key, { product_id: productId, qty: 1 });
    expect(refused.status).toBe(409);

    await request(t.url, 'DELETE', `/api/holds/${other.body.hold_id}`);
    const replay = await postHold(key, { product_id: productId, qty: 1 });
    expect(replay.status).toBe(409);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(refused.body);
    expect(await availableInMysql(productId)).toBe(1);
  });

  it('scopes keys per endpoint and treats them as case-sensitive', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const key = `Shared-${newKey()}`;
    const holdResponse = await postHold(key, { product_id: productId, qty: 1 });
    const order = await request(t.url, 'POST', '/api/orders', {
      body: { hold_id: holdResponse.body.hold_id },
      headers: { 'idempotency-key': key },
    });
    expect(order.status).toBe(201);
    expect(order.headers.get('idempotent-replayed')).toBeNull();

    const lowerCase = await postHold(key.toLowerCase(), { product_id: productId, qty: 1 });
    expect(lowerCase.status).toBe(201);
    expect(lowerCase.headers.get('idempotent-replayed')).toBeNull();
    expect(lowerCase.body.hold_id).not.toBe(holdResponse.body.hold_id);
  });

  it('replays an order instead of calling the hold used', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const holdResponse = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    const key = newKey();
    const send = () => request(t.url, 'POST', '/api/orders', { body: { hold_id: holdResponse.body.hold_id }, headers: { 'idempotency-key': key } });
    const first = await send();
    const second = await send();
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['not printable ASCII', 'clé-é'],
  ])('rejects an Idempotency-Key that is %s with 400', async (_label, key) => {
    const productId = await t.createProduct({ totalStock: 10 });
    const response = await request(t.url, 'POST', '/api/holds', {
      body: { product_id: productId, qty: 1 },
      headers: { 'idempotency-key': key },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(await availableInMysql(productId)).toBe(10);
  });

  it('accepts a key of exactly 255 printable characters', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const key = `${newKey()}~ !`.padEnd(255, 'x');
    expect((await postHold(key, { product_id: productId, qty: 1 })).status).toBe(201);
    expect((await postHold(key, { product_id: productId, qty: 1 })).headers.get('idempotent-replayed')).toBe('true');
  });
});

describe('keys are never stranded by a store that went away mid-request', () => {
  // The request's own MySQL connection goes through a proxy that the request cuts itself, at
  // the worst moment: after its claim, before it can free or complete the key.
  async function failWhileMySqlIsAway(key: string, body: { product_id: number; qty: number }, failure: Error) {
    const { proxy, url: viaProxy } = await CuttableProxy.inFrontOf(t.config.databaseUrl);
    const db = createDb(viaProxy);
    try {
      const deps = { ...t.services.deps, db };
      const attempt = runIdempotent(deps, { scope: 'POST /api/holds', key, body }, async () => {
        await proxy.down();
        throw failure;
      }, () => ({ status: 201, body: {} }));
      await expect(attempt).rejects.toMatchObject({ code: 'service_unavailable' });
    } finally {
      await db.$disconnect().catch(() => undefined);
      await proxy.down();
    }
    // MySQL could not be told: the claim is still there, processing, within its lease.
    const row = await t.db.idempotencyKey.findFirstOrThrow({ where: { key } });
    expect(row.status).toBe('processing');
    expect(row.lockedUntil.getTime()).toBeGreaterThan(Date.now());
  }

  it('a retry after a 503 runs at once, though the failed request could not free its key', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const key = newKey();
    const body = { product_id: productId, qty: 1 };
    await failWhileMySqlIsAway(key, body, new ServiceUnavailableError('MySQL is unavailable.'));

    const retry = await postHold(key, body);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await availableInMysql(productId)).toBe(9);
    const replay = await postHold(key, body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(retry.body);
  });

  it('the key is free for another body too, as if the failed request had freed it', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const key = newKey();
    await failWhileMySqlIsAway(key, { product_id: productId, qty: 1 }, new ServiceUnavailableError('MySQL is unavailable.'));

    const other = { product_id: productId, qty: 2 };
    const next = await postHold(key, other);
    expect(next.status).toBe(201);
    expect(next.body.qty).toBe(2);
    expect(await availableInMysql(productId)).toBe(8);
    // Now the key is the new body's: its replay, and the first body refused.
    expect((await postHold(key, other)).headers.get('idempotent-replayed')).toBe('true');
    expect((await postHold(key, { product_id: productId, qty: 1 })).status).toBe(422);
  });

  it('a refusal that could not be recorded is a 503, and its retry gets a fresh answer', async () => {
    const productId = await t.createProduct({ totalStock: 10 });
    const key = newKey();
    const body = { product_id: productId, qty: 1 };
    await failWhileMySqlIsAway(key, body, new InsufficientStockError(productId, 0));

    const retry = await postHold(key, body);
    expect(retry.status).toBe(201);
    expect(await availableInMysql(productId)).toBe(9);
  });
});

describe('the batched first claim', () => {
  const claimOf = (key: string) => ({
    scope: 'test-claims',
    key,
    requestHash: 'h'.repeat(64),
    lockToken: `token-${Math.random()}`,
    lockedUntil: new Date(Date.now() + 60_000),
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  /**
   * The claims of `keys`, sent together behind two others: the line runs at most two batches at
   * once, each taking who waits when it starts, so these wait and go in the third, together.
   */
  const claimTogether = async (keys: string[]) => {
    const claim = (key: string) => t.services.deps.keyClaimer.insert(claimOf(key));
    const all = await Promise.all([claim(newKey()), claim(newKey()), ...keys.map(claim)]);
    return all.slice(2);
  };

  it('gives each of a batch of fresh keys its own claim, and a key already stored to nobody', async () => {
    const taken = newKey();
    expect(await claimTogether([taken])).toEqual([true]);
    // Every row goes in (no read needed) ...
    expect(await claimTogether([newKey(), newKey()])).toEqual([true, true]);
    // ... and one where a row is skipped: the read tells which.
    expect(await claimTogether([taken, newKey(), newKey()])).toEqual([false, true, true]);
  });

  it('gives the same key twice in one batch to exactly one of them', async () => {
    const key = newKey();
    expect((await claimTogether([key, key])).filter(Boolean)).toHaveLength(1);
    expect(await t.db.idempotencyKey.count({ where: { scope: 'test-claims', key } })).toBe(1);
  });
});
