import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Answer } from './support/load.ts';
import { expectSaleSettled, runCrowd, startSale, type Request } from './support/sale.ts';
import type { ApiProcess, FaultStack } from './support/stack.ts';

// Redis hangs mid-sale, keeping its data and its connections (a failover, a fork on a big
// dataset, a slow script): nothing is refused, commands just get no answer for 5 s, and then
// every one of them runs, late. That is the other half of redis-loss, and it takes other paths:
// the command timeouts instead of a refused connection, and writes that the api gave up on
// landing after the ones it sent since.

const STALL_MS = 5_000;
/**
 * The longest path waits out two Redis timeouts in a row (1 s each: a hold's write-through, then
 * the forget that follows its failure) beside its enqueue's 1.5 s, or a webhook's duplicate
 * check and then its enqueue: about 2.5 s, and a busy machine adds to that. Bounded by the
 * timeouts, short of the stall.
 */
const SLOWEST_ANSWER_MS = 4_500;

let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  ({ stack, api } = await startSale());
});
afterAll(async () => stack?.close());

describe('Redis stalls for 5 s mid-sale', () => {
  it('answers every request within a bounded time, and afterwards the cache, the jobs and the ledger agree with MySQL', async () => {
    const productId = await stack.createProduct(100_000);
    const answers: (Answer & { what: Request; ms: number })[] = [];
    let stalled = false;
    const stall = (async () => {
      await sleep(1_500);
      // Every client of this Redis, the api's and the worker's, gets no answer until it ends.
      await stack.redisClient.call('CLIENT', 'PAUSE', String(STALL_MS), 'ALL');
      stalled = true;
    })();
    const webhookKeys = await runCrowd(api, productId, {
      durationMs: 8_000,
      maxSteps: 4_000,
      keyTag: 'redis_stall',
      reads: true,
      record: async (what, request) => {
        const started = performance.now();
        const answer = await request;
        answers.push({ ...answer, what, ms: performance.now() - started });
        return answer;
      },
    });
    await stall;

    // The stall happened while the load ran, and requests met it.
    expect(stalled).toBe(true);
    expect(answers.filter((answer) => answer.ms > 900).length).toBeGreaterThan(0);
    // Served throughout: no 5xx, no dropped connection, and no answer waited for the stall to end.
    expect(answers.filter((answer) => answer.status >= 500 || answer.status === 0).map(({ what, status }) => ({ what, status }))).toEqual([]);
    expect(answers.filter((answer) => answer.ms > SLOWEST_ANSWER_MS).map(({ what, ms }) => ({ what, ms: Math.round(ms) }))).toEqual([]);
    expect(answers.filter((answer) => answer.what === 'hold' && answer.status === 201).length).toBeGreaterThan(100);
    expect(webhookKeys.length).toBeGreaterThan(10);

    // The writes the api gave up on ran after the stall, late and in order: the cached snapshot
    // is the newest (or gone), never an older one that landed last. Every hold still comes due,
    // whether its job landed late or the sweeper took it, and every webhook is applied.
    await expectSaleSettled(stack, webhookKeys);
    const read = await call(api.url, 'GET', `/api/products/${productId}`);
    const product = await stack.db.product.findUniqueOrThrow({ where: { id: productId } });
    expect(read.body.available_stock).toBe(product.availableStock);
  });
});
