import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAuditClean, expectLedgerExact } from './support/ledger.ts';
import { call, closedLoop, type Answer } from './support/load.ts';
import { startFaultStackWithApi, type ApiProcess, type FaultStack } from './support/stack.ts';

// MySQL goes away mid-load and comes back, in its two ways: killed (every connection dropped, new
// ones refused, as a crashed or restarting server) or hanging (connections stay open and nothing
// is answered, as a partition or a stuck failover). While it is away the api answers 503 with
// Retry-After, never a 500 and never a hang; no request is half applied; the api recovers by
// itself; and a client that retries with the same Idempotency-Key, as the 503 invites, gets its
// hold.

/**
 * The api gives up on a statement MySQL leaves unanswered for 12 s (NO_ANSWER_MS) and answers
 * 503 once its key is noted as abandoned in Redis; the hang lasts longer than that.
 */
const SLOWEST_ANSWER_MS = 12_000 + 3_000;
const HANG_MS = 20_000;

let stack: FaultStack;
let api: ApiProcess;
beforeAll(async () => {
  ({ stack, api } = await startFaultStackWithApi());
});
afterAll(async () => stack?.close());

describe('MySQL away mid-load', () => {
  it('killed and back: 503 with Retry-After while it is away, nothing half done, and every retry with the same key succeeds', async () => {
    const sale = await sellThrough(async () => {
      await sleep(1_500);
      await stack.mysqlProxy.down();
      await sleep(2_500);
      await stack.mysqlProxy.up();
    }, 6_000);
    await expectEveryKeyHeld(sale);
  });

  it('hanging for 20 s: every request is answered within the no-answer deadline (503 once MySQL counts as gone), and every retry with the same key succeeds', async () => {
    let stalled = false;
    const sale = await sellThrough(async () => {
      await sleep(1_500);
      // The hang begins just as a hold batch's COMMIT leaves (a COM_QUERY packet's command byte,
      // then the statement; the claims of keys commit by themselves and send none), so that
      // batch's outcome is unknown to the api.
      await stack.mysqlProxy.stallOn('\u0003COMMIT');
      stalled = true;
      await sleep(HANG_MS);
      // The partition heals: what the hung connections held back is delivered, late. A COMMIT
      // the api gave up on then takes effect; its holds' expiry jobs were added when it was given
      // up on, so the audit finds none without its job (no worker runs here to add them later).
      // A reset ending (a failover) is the adapter's side: packages/db/test/fail-fast.test.ts.
      stack.mysqlProxy.endStall('deliver');
    }, HANG_MS + 8_000);
    expect(stalled).toBe(true);
    // Bounded by the deadline, not by the hang: without it these waited the whole hang.
    expect(sale.slowest).toBeLessThan(SLOWEST_ANSWER_MS);
    expect(api.lines.filter((line) => String(line.msg).startsWith('MySQL stopped answering'))).toHaveLength(1);
    expect(api.lines.filter((line) => String(line.msg).startsWith('COMMIT sent but not answered')).length).toBeGreaterThan(0);
    await expectEveryKeyHeld(sale);
    // The COMMIT the hang began on landed when the partition healed: its holds are in MySQL though
    // the api, which answered 503, never logged them created; and the audit found their jobs.
    const loggedCreated = api.lines.filter((line) => line.msg === 'hold created').map((line) => Number(line.holdId));
    expect(await stack.db.hold.count({ where: { productId: sale.productId, id: { notIn: loggedCreated } } })).toBeGreaterThan(0);
  });
});

interface Sale {
  productId: number;
  finals: Map<string, Answer>;
  unavailable: Answer[];
  unexpected: Answer[];
  slowest: number;
}

/** 16 keyed clients holding one unit each, for `durationMs`, while `outage` runs. */
async function sellThrough(outage: () => Promise<void>, durationMs: number): Promise<Sale> {
  const productId = await stack.createProduct(100_000);
  const sale: Sale = { productId, finals: new Map(), unavailable: [], unexpected: [], slowest: 0 };
  const outageDone = outage();
  await closedLoop({ clients: 16, durationMs, maxSteps: 4_000 }, async () => {
    const key = randomUUID();
    const body = { product_id: productId, qty: 1 };
    // A well-behaved client: on a 503 it waits Retry-After and sends the same request again.
    for (let attempt = 1; attempt <= 40; attempt += 1) {
      const started = performance.now();
      const answer = await call(api.url, 'POST', '/api/holds', { body, headers: { 'idempotency-key': key } });
      sale.slowest = Math.max(sale.slowest, performance.now() - started);
      if (answer.status === 503) {
        sale.unavailable.push(answer);
        await sleep(Math.min(Number(answer.headers.get('retry-after')) || 1, 2) * 1000);
        continue;
      }
      if (answer.status !== 201) sale.unexpected.push(answer);
      sale.finals.set(key, answer);
      return;
    }
  });
  await outageDone;
  return sale;
}

/** No 500, every 503 as the contract says, every key with exactly its own hold, and the ledger exact. */
async function expectEveryKeyHeld({ productId, finals, unavailable, unexpected }: Sale): Promise<void> {
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
  const replays = await Promise.all(
    [...finals.entries()].slice(0, 200).map(([key]) =>
      call(api.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 }, headers: { 'idempotency-key': key } }).then((answer) => ({ key, answer })),
    ),
  );
  for (const { key, answer } of replays) {
    expect(answer.headers.get('idempotent-replayed')).toBe('true');
    expect(answer.body).toEqual(finals.get(key)!.body);
  }
  expect(await stack.db.idempotencyKey.count({ where: { status: 'processing' } })).toBe(0);
  await expectLedgerExact(stack);
  await expectAuditClean(stack);
}
