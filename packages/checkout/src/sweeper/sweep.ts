import { Prisma, runTransaction } from '@flash-sale/db';
import type { CheckoutDeps } from '../deps.ts';
import { lockDueHolds, lockDueOrders } from '../lock-order.ts';
import { returnStockInBulk } from '../products/stock.ts';

// The safety net behind the per-hold and per-order delayed jobs: whatever is due and still
// unhandled (Redis flushed, an enqueue that failed, a job lost with its worker) is handled here,
// in bounded batches, with one locking read and a few grouped updates per batch, never a
// statement per row (stock first, then the rows: the FK rule in lock-order.ts). Rows a job is
// handling right now are skipped (SKIP LOCKED), and the grace
// period leaves the normal case to the jobs, which fire on time.

export interface SweepOptions {
  batchSize: number;
  /** Batches per run at most, so one run stays short and the next one picks up the rest. */
  maxBatches: number;
  /** Only rows due at least this long ago; younger ones are their job's. */
  graceMs: number;
}

export const defaultSweepOptions: SweepOptions = { batchSize: 500, maxBatches: 10, graceMs: 2_000 };

type Deps = Pick<CheckoutDeps, 'db' | 'clock' | 'productCache' | 'logger' | 'jobs' | 'settings' | 'metrics'>;

export interface SweepReport {
  holdsExpired: number;
  ordersCancelled: number;
  paymentEventsRedriven: number;
}

export async function sweep(deps: Deps, options: SweepOptions = defaultSweepOptions): Promise<SweepReport> {
  return {
    holdsExpired: await sweepInBatches(options, () => expireDueHolds(deps, options)),
    ordersCancelled: await sweepInBatches(options, () => cancelDueOrders(deps, options)),
    paymentEventsRedriven: await redriveStalePaymentEvents(deps, options),
  };
}

async function sweepInBatches(options: SweepOptions, batch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (let run = 0; run < options.maxBatches; run += 1) {
    const handled = await batch();
    total += handled;
    if (handled < options.batchSize) break;
  }
  return total;
}

/** Expires one batch of holds past their expires_at and returns their stock. */
export async function expireDueHolds(deps: Deps, options: SweepOptions): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - options.graceMs);
  const { holds, snapshots } = await runTransaction(deps.db, async (tx) => {
    const holds = await lockDueHolds(tx, cutoff, options.batchSize);
    if (holds.length === 0) return { holds, snapshots: [] };
    const snapshots = await returnStockInBulk(tx, holds);
    await tx.$executeRaw`
      UPDATE holds SET status = 'expired', updated_at = NOW(3)
      WHERE id IN (${Prisma.join(holds.map((hold) => hold.id))}) AND status = 'active'`;
    return { holds, snapshots };
  });
  await Promise.all(snapshots.map((snapshot) => deps.productCache.writeThrough(snapshot)));
  if (holds.length) deps.metrics.holdEnded('expired', 'sweeper', holds.length);
  for (const hold of holds) deps.logger.info({ holdId: hold.id, productId: hold.productId, qty: hold.qty, by: 'sweeper' }, 'hold expired');
  return holds.length;
}

/** Cancels one batch of orders past their payment deadline (payment_timeout) and returns stock. */
export async function cancelDueOrders(deps: Deps, options: SweepOptions): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - options.graceMs);
  const { orders, snapshots } = await runTransaction(deps.db, async (tx) => {
    const orders = await lockDueOrders(tx, cutoff, options.batchSize);
    if (orders.length === 0) return { orders, snapshots: [] };
    const snapshots = await returnStockInBulk(tx, orders);
    await tx.$executeRaw`
      UPDATE orders SET status = 'cancelled', cancel_reason = 'payment_timeout', updated_at = NOW(3)
      WHERE id IN (${Prisma.join(orders.map((order) => order.id))}) AND status = 'pending'`;
    return { orders, snapshots };
  });
  await Promise.all(snapshots.map((snapshot) => deps.productCache.writeThrough(snapshot)));
  if (orders.length) deps.metrics.orderFinalized('cancelled', 'payment_timeout', orders.length);
  for (const order of orders) {
    deps.logger.info({ orderId: order.id, productId: order.productId, qty: order.qty, cancelReason: 'payment_timeout', by: 'sweeper' }, 'order cancelled');
  }
  return orders.length;
}

// Events wait for their order with retries; past this age without an outcome, the sweeper makes
// sure a job is still driving them (the enqueue may have failed, or retries run out).
const STALE_EVENT_MS = 30_000;

/**
 * Re-drives payment events that have no outcome yet and no live job (failed for good, or never
 * enqueued). Events waiting out their backoff for an order that does not exist yet are left to
 * it. Pages through every stale event, so a crowd of waiting ones cannot hide a lost one.
 */
export async function redriveStalePaymentEvents(deps: Deps, options: SweepOptions): Promise<number> {
  const staleBefore = new Date(deps.clock.now().getTime() - STALE_EVENT_MS);
  let redriven = 0;
  let afterId = 0;
  for (let page = 0; page < options.maxBatches; page += 1) {
    const events = await deps.db.paymentEvent.findMany({
      where: { outcome: null, receivedAt: { lte: staleBefore }, id: { gt: afterId } },
      select: { id: true },
      orderBy: { id: 'asc' },
      take: options.batchSize,
    });
    for (const event of events) {
      const action = await deps.jobs.runSoon('payment-webhook', { paymentEventId: event.id });
      if (action === 'present') continue;
      redriven += 1;
      deps.logger.info({ paymentEventId: event.id, action }, 'payment event re-driven by the sweeper');
    }
    if (events.length < options.batchSize) break;
    afterId = events.at(-1)!.id;
  }
  return redriven;
}
