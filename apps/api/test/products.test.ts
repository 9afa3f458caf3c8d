import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe('GET /api/products, a page at a time', () => {
  it('walks every product once, in id order, following next_cursor until it is null', async () => {
    const created: number[] = [];
    for (let index = 0; index < 5; index += 1) created.push(await t.createProduct({ totalStock: 10 + index }));
    const seen: number[] = [];
    const pages: number[] = [];
    let path = '/api/products?limit=2';
    for (;;) {
      const page = await request(t.url, 'GET', path);
      expect(page.status).toBe(200);
      pages.push(page.body.items.length);
      seen.push(...page.body.items.map((product: { id: number }) => product.id));
      if (page.body.next_cursor === null) break;
      path = `/api/products?limit=2&cursor=${encodeURIComponent(page.body.next_cursor)}`;
    }
    expect(seen).toEqual([...created].sort((a, b) => a - b));
    expect(pages).toEqual([2, 2, 1]);
  });

  it('gives no next_cursor when the last page is exactly full', async () => {
    await t.createProduct({ totalStock: 1 });
    const all = await request(t.url, 'GET', '/api/products?limit=100');
    const count = all.body.items.length;
    expect(all.body.next_cursor).toBeNull();
    const exact = await request(t.url, 'GET', `/api/products?limit=${count}`);
    expect(exact.body.items).toHaveLength(count);
    expect(exact.body.next_cursor).toBeNull();
  });
});
