import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAuditClean, expectLedgerExact } from './support/ledger.ts';
import { call, closedLoop, type Answer } from './support/load.ts';
import { startFaultStack, type ApiProcess, type FaultStack } from './support/stack.ts';

// MySQL goes away mid-load (every connection dropped, new ones refused, as a crashed or
// restarting server) and comes back. While it is away the api answers 503 with Retry-After,
// never a 500 and never a hang; no request is half applied; the api recovers by itself; and a
// client that retries with the same Idempotency-Key, as the 503 invites, gets its hold.

let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  stack = await startFaultStack();
  api = await stack.startApi();
});
afterAll(async () => stack?.close());

describe('MySQL killed and back mid-load', () => {
  it('503 with Retry-After while it is away, nothing half done, and every retry with the same key succeeds', async () => {
    const productId = await stack.createProduct(100_000);
    const finals = new Map<string, Answer>();
    const unavailable: Answer[] = [];
    const unexpected: Answer[] = [];
    const outage = (async () => {
      await sleep(1_500);
      await stack.mysqlProxy.down();
      await sleep(2_500);
      await stack.mysqlProxy.up();
    })();

    await closedLoop({ clients: 16, durationMs: 6_000, maxSteps: 4_000 }, async () => {
      const key = randomUUID();
      const body = { product_id: productId, qty: 1 };
      // A well-behaved client: on a 503 it waits Retry-After and sends the same request again.
      for (let attempt = 1; attempt <= 40; attempt += 1) {
        const answer = await call(api.url, 'POST', '/api/holds', { body, headers: { 'idempotency-key': key } });
        if (answer.status === 503) {
          unavailable.push(answer);
          await sleep(Math.min(Number(answer.headers.get('retry-after')) || 1, 2) * 1000);
          continue;
        }
        if (answer.status !== 201) unexpected.push(answer);
        finals.set(key, answer);
        return;
      }
    });
    await outage;

    const errors = api.lines.filter((line) => line.msg === 'unexpected error');
    expect(errors.map((line) => JSON.stringify(line.err))).toEqual([]);
    expect(unexpected.map((answer) => [answer.status, answer.body?.error?.code])).toEqual([]);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const answer of unavailable) {
      expect(answer.body.error.code).toBe('service_unavailable');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Every key ended with its hold, and each hold in MySQL belongs to exactly one key.
    const holdIds = [...finals.values()].map((answer) => answer.body.hold_id as number);
    expect(new Set(holdIds).size).toBe(finals.size);
    expect(await stack.db.hold.count({ where: { productId } })).toBe(finals.size);
    const product = await stack.db.product.findUniqueOrThrow({ where: { id: productId } });
    expect(product.availableStock).toBe(100_000 - finals.size);

    // A replay of every key gives the same hold, and changes nothing.
    const replays = await Promise.all([...finals.entries()].slice(0, 200).map(([key]) =>
      call(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 }, headers: { 'idempotency-key': key } }).then((answer) => ({ key, answer })),
    ));
    for (const { key, answer } of replays) {
      expect(answer.headers.get('idempotent-replayed')).toBe('true');
      expect(answer.body).toEqual(finals.get(key)!.body);
    }
    expect(await stack.db.idempotencyKey.count({ where: { status: 'processing' } })).toBe(0);
    await expectLedgerExact(stack);
    await expectAuditClean(stack);
  });
});
