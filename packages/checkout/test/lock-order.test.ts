import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@flash-sale/testing';
import { lockHold, lockOrder, lockProduct } from '../src/lock-order.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

describe('the lock order (hold -> order -> product)', () => {
  it('allows locks taken in order', async () => {
    await database.db.$transaction(async (tx) => {
      await lockHold(tx, 1);
      await lockOrder(tx, 1);
      await lockProduct(tx, 1);
      await lockProduct(tx, 2);
    });
  });

  it.each([
    ['a hold after a product', [lockProduct, lockHold]],
    ['an order after a product', [lockProduct, lockOrder]],
    ['a hold after an order', [lockOrder, lockHold]],
  ] as const)('refuses %s', async (_label, [first, second]) => {
    await expect(
      database.db.$transaction(async (tx) => {
        await first(tx, 1);
        await second(tx, 1);
      }),
    ).rejects.toThrow(/Lock order violated/);
  });
});
