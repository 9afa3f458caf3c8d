import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { bullPrefix, queueNames } from '@flash-sale/queues';
import type { Answer } from './support/load.ts';
import { expectSaleSettled, runCrowd, startSale } from './support/sale.ts';
import type { ApiProcess, FaultStack } from './support/stack.ts';

// Redis dies mid-sale and comes back empty: every delayed job, the cache and the queues are
// gone. Holds keep working from MySQL; afterwards every hold still comes due and gives its stock
// back within seconds of its expires_at, and every webhook stored meanwhile gets its outcome,
// with no restart of any process.

let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  ({ stack, api } = await startSale());
});
afterAll(async () => stack?.close());

describe('Redis down, then back empty, mid-sale', () => {
  it('brings every unit back within seconds of its deadline and applies every event, without a restart', async () => {
    const productId = await stack.createProduct(100_000);
    const answers: Answer[] = [];
    const outage = (async () => {
      await sleep(1_500);
      await stack.redis.kill();
      await sleep(1_500);
      await stack.redis.up();
    })();
    const webhookKeys = await runCrowd(api, productId, {
      durationMs: 5_000,
      maxSteps: 3_000,
      keyTag: 'redis_loss',
      record: async (_, request) => {
        const answer = await request;
        answers.push(answer);
        return answer;
      },
    });
    await outage;

    // Redis was away for a second and a half: holds, orders and webhooks were still served.
    expect(answers.filter((answer) => answer.status >= 500 || answer.status === 0)).toEqual([]);
    expect(answers.filter((answer) => answer.status === 201).length).toBeGreaterThan(100);
    expect(webhookKeys.length).toBeGreaterThan(10);

    // Every hold comes due and goes back, jobs or no jobs; every webhook stored while Redis was
    // away has its outcome (the sweeper re-drove it); the ledger and the audit agree.
    await expectSaleSettled(stack, webhookKeys);
    const lateness = await stack.db.$queryRaw<{ worst: number | null }[]>`
      SELECT MAX(TIMESTAMPDIFF(MICROSECOND, expires_at, updated_at)) / 1000 AS worst FROM holds WHERE status = 'expired'`;
    // Sweeper grace (2 s) plus its interval (1 s, with jitter) plus a reconnect: within seconds.
    expect(Number(lateness[0]!.worst)).toBeLessThan(8_000);

    // Nothing was taken from the sweeper by the outage: no job scheduler on any queue.
    for (const name of queueNames) {
      const queue = new Queue(name, { connection: stack.redisClient, prefix: bullPrefix(stack.prefix) });
      try {
        expect({ name, schedulers: await queue.getJobSchedulers() }).toEqual({ name, schedulers: [] });
      } finally {
        await queue.close();
      }
    }
  });
});
