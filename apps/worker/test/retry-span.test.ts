import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { queueCatalog, queueNames } from '@flash-sale/queues';
import { backoffStrategy } from '../src/backoff.ts';

// How long a job keeps being retried before it fails for good: a store outage shorter than that
// must leave no failed job behind (README, "Reading them in an incident").
function retryDelaysMs(name: (typeof queueNames)[number]): number[] {
  const { attempts, backoff } = queueCatalog[name].options;
  const job = { opts: { backoff } } as unknown as Job;
  return Array.from({ length: attempts - 1 }, (_, index) => backoffStrategy(index + 1, backoff.type, new Error('MySQL away'), job) as number);
}

describe('retries of each queue', () => {
  it.each([
    ['hold-expiry', 15],
    ['order-timeout', 15],
    ['payment-webhook', 90],
  ] as const)('%s retries for at least %i minutes, never more than 30 s apart', (name, minutes) => {
    const delays = retryDelaysMs(name);
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBeGreaterThanOrEqual(minutes * 60_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
  });
});
