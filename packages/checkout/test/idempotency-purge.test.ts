import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@flash-sale/testing';
import { purgeExpiredIdempotencyKeys } from '../src/idempotency/idempotency-keys.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const key = (index: number, expiresAt: Date) => ({
  scope: 'POST /api/holds',
  key: `purge-${index}`,
  requestHash: 'a'.repeat(64),
  status: 'completed' as const,
  lockToken: '00000000-0000-4000-8000-000000000000',
  lockedUntil: expiresAt,
  responseStatus: 201,
  responseBody: '{}',
  expiresAt,
});

describe('purging idempotency keys past their 24 h', () => {
  it('deletes expired keys in bounded batches and keeps the younger ones', async () => {
    const now = new Date();
    const past = new Date(now.getTime() - 1_000);
    const future = new Date(now.getTime() + 3_600_000);
    await database.db.idempotencyKey.createMany({ data: Array.from({ length: 25 }, (_, index) => key(index, index < 23 ? past : future)) });

    // At most limit × maxBatches per call: the rest waits for the next sweep.
    expect(await purgeExpiredIdempotencyKeys(database.db, now, { limit: 10, maxBatches: 2 })).toBe(20);
    expect(await database.db.idempotencyKey.count()).toBe(5);
    expect(await purgeExpiredIdempotencyKeys(database.db, now, { limit: 10, maxBatches: 2 })).toBe(3);
    expect(await database.db.idempotencyKey.count({ where: { expiresAt: { lte: now } } })).toBe(0);
    expect(await database.db.idempotencyKey.count()).toBe(2);
    expect(await purgeExpiredIdempotencyKeys(database.db, now, { limit: 10, maxBatches: 2 })).toBe(0);
  });
});
