import { describe, expect, it } from 'vitest';
import type { Logger } from '@flash-sale/logger';
import { publishCommit } from '../src/after-commit.ts';
import type { ProductCache } from '../src/products/product-cache.ts';
import type { ProductSnapshot } from '../src/products/product-snapshot.ts';

// The order of a commit's tail: the cache lags MySQL until the write-through lands, so it is
// sent before anything else may spend the event loop (building a batch's jobs, logging).
describe('publishCommit', () => {
  it('sends the write-through first, then starts the Redis work alongside, then counts and logs, and waits for all', async () => {
    const events: string[] = [];
    let landed!: () => void;
    const writeLanded = new Promise<void>((resolve) => (landed = resolve));
    const productCache = {
      writeThrough: (snapshot: ProductSnapshot) => {
        events.push(`write-through v${snapshot.stockVersion}`);
        return writeLanded;
      },
    } as unknown as ProductCache;
    const logger = { info: (_fields: object, message: string) => events.push(`log ${message}`) } as unknown as Logger;
    const snapshot: ProductSnapshot = { id: 1, code: 'P-1', name: 'P', price: '1.00', totalStock: 5, availableStock: 4, stockVersion: 2 };

    let settled = false;
    const published = publishCommit(
      { productCache, logger },
      {
        snapshots: [snapshot],
        alongside: [async () => events.push('jobs')],
        count: () => events.push('count'),
        changes: [{ message: 'hold created', fields: { holdId: 1 } }],
      },
    ).then(() => (settled = true));

    expect(events).toEqual(['write-through v2', 'jobs', 'count', 'log hold created']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false); // the caller answers only once the write-through landed
    landed();
    await published;
    expect(settled).toBe(true);
  });
});
