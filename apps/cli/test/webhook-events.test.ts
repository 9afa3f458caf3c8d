import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStores, type TestStores } from '@flash-sale/testing';
import { expectExitCode, runCli, runCliJson } from './support/run-cli.ts';

// webhooks lists payment_events rows, filtered by outcome, newest first.

let t: TestStores;

beforeAll(async () => {
  t = await startTestStores();
  const base = Date.parse('2026-01-01T10:00:00Z');
  const events = [
    { key: 'evt-applied', orderId: 1, result: 'success', outcome: 'applied', detail: 'order paid' },
    { key: 'evt-conflict-old', orderId: 2, result: 'success', outcome: 'conflict', detail: 'order already cancelled' },
    { key: 'evt-orphaned', orderId: 3, result: 'failure', outcome: 'orphaned', detail: 'no such order' },
    { key: 'evt-conflict-new', orderId: 4, result: 'failure', outcome: 'conflict', detail: 'order already paid' },
    { key: 'evt-pending', orderId: 5, result: 'success', outcome: null, detail: null },
  ] as const;
  for (const [index, event] of events.entries()) {
    const receivedAt = new Date(base + index * 60_000);
    await t.db.paymentEvent.create({
      data: {
        idempotencyKey: event.key,
        orderId: event.orderId,
        result: event.result,
        bodyHash: 'a'.repeat(64),
        payload: JSON.stringify({ order_id: event.orderId, status: event.result }),
        outcome: event.outcome,
        outcomeDetail: event.detail,
        receivedAt,
        processedAt: event.outcome ? new Date(receivedAt.getTime() + 500) : null,
      },
    });
  }
});

afterAll(async () => {
  await t?.close();
});

describe.concurrent('webhooks', () => {
  it('--outcome conflict --json lists only conflict events, newest first', async () => {
    const events = await runCliJson(t.config, ['webhooks', '--outcome', 'conflict']);
    expect(events.map((event: { idempotencyKey: string }) => event.idempotencyKey)).toEqual(['evt-conflict-new', 'evt-conflict-old']);
    expect(events[0]).toMatchObject({ orderId: 4, result: 'failure', outcome: 'conflict', outcomeDetail: 'order already paid' });
  });

  it('prints a table of the latest --limit events, an event without outcome as pending', async () => {
    const table = await runCli(t.config, ['webhooks', '--limit', '4']);
    expectExitCode(table, 0);
    expect(table.stdout).toMatch(/evt-orphaned\s+│\s+3\s+│\s+failure\s+│\s+orphaned\s+│\s+no such order/);
    expect(table.stdout).toMatch(/evt-pending\s+│\s+5\s+│\s+success\s+│\s+pending\s+│/);
    expect(table.stdout).not.toContain('evt-applied');
  });
});
