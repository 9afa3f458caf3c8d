import { isMysqlAway } from '@flash-sale/db';
import { FailingProducts, productByProduct, type ProductFailure } from '../batching/product-by-product.ts';
import type { CheckoutDeps } from '../deps.ts';
import { expireHolds } from '../holds/expire-hold.ts';
import { purgeExpiredIdempotencyKeys } from '../idempotency/idempotency-keys.ts';
import { timeOutOrders } from '../orders/time-out-orders.ts';

// The safety net behind the per-hold and per-order delayed jobs: whatever is due and still
// unhandled (Redis lost its data, an enqueue failed, a job was lost with its worker) is handled
// here, in bounded batches, through the same bulk paths the jobs use (expireHolds,
// timeOutOrders): a plain read finds the due rows, then one transaction per product
// (productByProduct) locks them by primary key, skipping rows a job holds right now (SKIP
// LOCKED), and updates them in a few grouped statements, never one per row. The grace period
// leaves the normal case to the jobs, which fire on time. It reads and writes MySQL only (the re-drive of payment events aside), so it works
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
  /** Products whose due holds or orders could not be ended in this run (each logged). */
  productsFailed: number;
  /** Steps that failed in this run (each logged); the others still ran. */
  stepsFailed: number;
}

/** What one process's sweeper carries from run to run. */
export interface SweepState {
  /** Where the re-drive of payment events goes on. */
  paymentEventsAfterId: number;
  /** Products whose holds or orders failed to end (productByProduct). */
  failingProducts: FailingProducts;
}

export function createSweepState(): SweepState {
  return { paymentEventsAfterId: 0, failingProducts: new FailingProducts() };
}

/**
 * One run of the sweeper. Its four steps stand apart: one that fails (Redis away for the
 * re-drive, say) is logged and the others still run. In the first two, each product's rows
 * change in transactions of their own (productByProduct), so a product whose rows cannot change
 * fails alone while every other product's due holds and orders are ended; it is left out of the
 * rest of the run. MySQL away ends the run at once: every step needs it.
 */
export async function sweep(deps: Deps, options: SweepOptions = defaultSweepOptions, state: SweepState = createSweepState()): Promise<SweepReport> {
  const report: SweepReport = { holdsExpired: 0, ordersCancelled: 0, paymentEventsRedriven: 0, idempotencyKeysPurged: 0, productsFailed: 0, stepsFailed: 0 };
  const step = async (name: string, run: () => Promise<number>): Promise<number> => {
    try {
      return await run();
    } catch (error) {
      if (isMysqlAway(error)) throw error;
      report.stepsFailed += 1;
      deps.logger.warn({ err: error, step: name }, 'sweep step failed; the next run tries again');
      return 0;
    }
  };
  const products = { failedThisRun: new Set<number>(), failing: state.failingProducts };
  report.holdsExpired = await step('expire holds', () => sweepInBatches(options, () => expireDueHolds(deps, options, products)));
  report.ordersCancelled = await step('time out orders', () => sweepInBatches(options, () => cancelDueOrders(deps, options, products)));
  report.paymentEventsRedriven = await step('re-drive payment events', () => redriveStalePaymentEvents(deps, options, state));
  report.idempotencyKeysPurged = await step('purge idempotency keys', () =>
    purgeExpiredIdempotencyKeys(deps.db, deps.clock.now(), { limit: options.batchSize, maxBatches: options.maxBatches }),
  );
  report.productsFailed = products.failedThisRun.size;
  return report;
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

/** The products a run fails on: left out of the rest of it, and `failing` from run to run (SweepState). */
export interface SweepProducts {
  failedThisRun: Set<number>;
  failing: FailingProducts;
}

const noProducts = (): SweepProducts => ({ failedThisRun: new Set(), failing: new FailingProducts() });

/** Expires one batch of holds past their expires_at (plus the grace) and returns their stock. */
export async function expireDueHolds(deps: Deps, options: SweepOptions, products = noProducts()): Promise<{ found: number; handled: number }> {
  const cutoff = new Date(deps.clock.now().getTime() - options.graceMs);
  const due = await deps.db.hold.findMany({
    where: { status: 'active', expiresAt: { lte: cutoff }, ...leftOut(products) },
    select: { id: true, productId: true },
    orderBy: { expiresAt: 'asc' },
    take: options.batchSize,
  });
  if (due.length === 0) return { found: 0, handled: 0 };
  const { done, failed } = await productByProduct(deps, due, products.failing, (holds, attempt, reporting) =>
    expireHolds(deps, holds.map((hold) => hold.id), { by: 'sweeper', skipLocked: true, maxAttempts: attempt.failedBefore ? 1 : undefined, reporting }),
  );
  noteFailures(deps, products, failed, "the sweeper could not expire this product's due holds; it tries again in a while");
  return { found: due.length, handled: done.reduce((total, result) => total + result.expired.length, 0) };
}

/** Times out one batch of orders past their payment deadline (plus the grace). */
export async function cancelDueOrders(deps: Deps, options: SweepOptions, products = noProducts()): Promise<{ found: number; handled: number }> {
  const cutoff = new Date(deps.clock.now().getTime() - options.graceMs);
  const due = await deps.db.order.findMany({
    where: { status: 'pending', paymentDueAt: { lte: cutoff }, ...leftOut(products) },
    select: { id: true, productId: true },
    orderBy: { paymentDueAt: 'asc' },
    take: options.batchSize,
  });
  if (due.length === 0) return { found: 0, handled: 0 };
  const { done, failed } = await productByProduct(deps, due, products.failing, (orders, attempt, reporting) =>
    timeOutOrders(deps, orders.map((order) => order.id), { by: 'sweeper', skipLocked: true, maxAttempts: attempt.failedBefore ? 1 : undefined, reporting }),
  );
  noteFailures(deps, products, failed, "the sweeper could not time out this product's due orders; it tries again in a while");
  return { found: due.length, handled: done.reduce((total, result) => total + result.timedOut.length + result.decidedByPayment.length, 0) };
}

/** Leaves the failed products out of the rest of the run; logs each one that was tried. */
function noteFailures(deps: Pick<Deps, 'logger'>, products: SweepProducts, failed: ProductFailure[], message: string): void {
  for (const { productId, error, coolingOff } of failed) {
    products.failedThisRun.add(productId);
    if (!coolingOff) deps.logger.warn({ err: error, productId }, message);
  }
}

/** The filter that leaves out the products this run already failed on. */
function leftOut(products: SweepProducts): { productId?: { notIn: number[] } } {
  return products.failedThisRun.size ? { productId: { notIn: [...products.failedThisRun] } } : {};
}

// Events wait for their order with retries; past this age without an outcome, the sweeper makes
// sure a job is still driving them (the enqueue may have failed, or retries run out).
const STALE_EVENT_MS = 10_000;

/**
 * Re-drives payment events that have no outcome yet and no live job (failed for good, or never
 * enqueued). Events waiting out their backoff for an order that does not exist yet are left to
 * it. Pages through every stale event, so a crowd of waiting ones cannot hide a lost one: at most
 * `maxBatches` pages a run, each run going on from where the last one stopped (`state`), and
 * starting over from the first once it has read the last.
 */
export async function redriveStalePaymentEvents(deps: Deps, options: SweepOptions, state: SweepState = createSweepState()): Promise<number> {
  const staleBefore = new Date(deps.clock.now().getTime() - STALE_EVENT_MS);
  let redriven = 0;
  let afterId = state.paymentEventsAfterId;
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
    if (events.length < options.batchSize) {
      afterId = 0;
      break;
    }
    afterId = events.at(-1)!.id;
  }
  state.paymentEventsAfterId = afterId;
  return redriven;
}
