import type { CheckoutDeps } from '../deps.ts';
import { expireHolds } from '../holds/expire-hold.ts';
import { purgeExpiredIdempotencyKeys } from '../idempotency/idempotency-keys.ts';
import { timeOutOrders } from '../orders/time-out-orders.ts';

// The safety net behind the per-hold and per-order delayed jobs: whatever is due and still
// unhandled (Redis lost its data, an enqueue failed, a job was lost with its worker) is handled
// here, in bounded batches, through the same bulk paths the jobs use (expireHolds,
// timeOutOrders): a plain read finds the due rows, then one transaction locks them by primary
// key, skipping rows a job holds right now (SKIP LOCKED), and updates them in a few grouped
// statements, never one per row. The grace period leaves the normal case to the jobs, which fire
// on time. It reads and writes MySQL only (the re-drive of payment events aside), so it works
// the same whatever Redis has lost.

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
  idempotencyKeysPurged: number;
}

export async function sweep(deps: Deps, options: SweepOptions = defaultSweepOptions): Promise<SweepReport> {
  return {
    holdsExpired: await sweepInBatches(options, () => expireDueHolds(deps, options)),
    ordersCancelled: await sweepInBatches(options, () => cancelDueOrders(deps, options)),
    paymentEventsRedriven: await redriveStalePaymentEvents(deps, options),
    idempotencyKeysPurged: await purgeExpiredIdempotencyKeys(deps.db, deps.clock.now(), { limit: options.batchSize, maxBatches: options.maxBatches }),
  };
}

async function sweepInBatches(options: SweepOptions, batch: () => Promise<{ found: number; handled: number }>): Promise<number> {
  let total = 0;
  for (let run = 0; run < options.maxBatches; run += 1) {
    const { found, handled } = await batch();
    total += handled;
    if (found < options.batchSize) break;
  }
  return total;
}

/** Expires one batch of holds past their expires_at (plus the grace) and returns their stock. */
export async function expireDueHolds(deps: Deps, options: SweepOptions): Promise<{ found: number; handled: number }> {
  const cutoff = new Date(deps.clock.now().getTime() - options.graceMs);
  const due = await deps.db.hold.findMany({
    where: { status: 'active', expiresAt: { lte: cutoff } },
    select: { id: true },
    orderBy: { expiresAt: 'asc' },
    take: options.batchSize,
  });
  if (due.length === 0) return { found: 0, handled: 0 };
  const { expired } = await expireHolds(deps, due.map((hold) => hold.id), { by: 'sweeper', skipLocked: true });
  return { found: due.length, handled: expired.length };
}

/** Times out one batch of orders past their payment deadline (plus the grace). */
export async function cancelDueOrders(deps: Deps, options: SweepOptions): Promise<{ found: number; handled: number }> {
  const cutoff = new Date(deps.clock.now().getTime() - options.graceMs);
  const due = await deps.db.order.findMany({
    where: { status: 'pending', paymentDueAt: { lte: cutoff } },
    select: { id: true },
    orderBy: { paymentDueAt: 'asc' },
    take: options.batchSize,
  });
  if (due.length === 0) return { found: 0, handled: 0 };
  const { timedOut, decidedByPayment } = await timeOutOrders(deps, due.map((order) => order.id), { by: 'sweeper', skipLocked: true });
  return { found: due.length, handled: timedOut.length + decidedByPayment.length };
}

// Events wait for their order with retries; past this age without an outcome, the sweeper makes
// sure a job is still driving them (the enqueue may have failed, or retries run out).
const STALE_EVENT_MS = 10_000;

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
