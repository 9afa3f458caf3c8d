import type { JobPayload, QueueName } from '@flash-sale/queues';
import type { CheckoutDeps } from './deps.ts';
import type { EndedHoldStatus } from './holds/hold-view.ts';
import type { ProductSnapshot } from './products/product-snapshot.ts';

/** One state change a commit made, told as one log line with its ids. */
export interface CommittedChange {
  message: string;
  fields: Record<string, unknown>;
  /** warn for what an operator should look at (a conflicting payment, a repaired ledger). */
  level?: 'info' | 'warn';
}

/**
 * The tail of every transaction that changed state, after its commit: the products' new
 * snapshots sent to the cache first, then the Redis work the commit needs besides (`alongside`:
 * its jobs, say), then the counters and one log line per change while those are on their way,
 * then all of it awaited before the caller answers, so the caller's next read sees its change.
 * The write-through goes first because the cache lags MySQL until it lands: building a batch's
 * 20 expiry jobs takes about a millisecond of CPU, and a bulk expiry logs hundreds of lines,
 * tens of milliseconds on a busy worker. Neither the cache nor the enqueue
 * helpers below throw: a Redis failure is logged and the sweeper or MySQL covers it.
 */
export async function publishCommit(
  deps: Pick<CheckoutDeps, 'productCache' | 'logger'>,
  commit: { changes: CommittedChange[]; count?: () => void; snapshots?: ProductSnapshot[]; alongside?: (() => Promise<unknown>)[] },
): Promise<void> {
  const snapshotsWritten = (commit.snapshots ?? []).map((snapshot) => deps.productCache.writeThrough(snapshot));
  const writes = Promise.all([...snapshotsWritten, ...(commit.alongside ?? []).map((start) => start())]);
  commit.count?.();
  for (const change of commit.changes) deps.logger[change.level ?? 'info'](change.fields, change.message);
  await writes;
}

/**
 * publishCommit for a commit that ended holds (expired or released) and gave their stock back:
 * the expiry job and the sweeper, a release, an order refused because its hold had run out.
 */
export async function reportHoldsEnded(
  deps: Pick<CheckoutDeps, 'productCache' | 'metrics' | 'logger'>,
  ended: {
    holds: { id: number; productId: number; qty: number }[];
    snapshots: ProductSnapshot[];
    status: EndedHoldStatus;
    by: 'job' | 'sweeper' | 'request';
    alongside?: (() => Promise<unknown>)[];
  },
): Promise<void> {
  const availableStock = new Map(ended.snapshots.map((snapshot) => [snapshot.id, snapshot.availableStock]));
  await publishCommit(deps, {
    count: () => {
      if (ended.holds.length) deps.metrics.holdEnded(ended.status, ended.by, ended.holds.length);
    },
    changes: ended.holds.map((hold) => ({
      message: `hold ${ended.status}`,
      fields: { holdId: hold.id, productId: hold.productId, qty: hold.qty, by: ended.by, availableStock: availableStock.get(hold.productId) },
    })),
    snapshots: ended.snapshots,
    alongside: ended.alongside,
  });
}

/**
 * Enqueues a follow-up job once the transaction that needs it has committed. If Redis refuses,
 * the committed state stands and the failure is logged: the worker's sweeper finds due holds and
 * orders in MySQL whether or not they have a job.
 */
export async function enqueueAfterCommit<Q extends QueueName>(
  deps: Pick<CheckoutDeps, 'jobs' | 'logger'>,
  queue: Q,
  payload: JobPayload<Q>,
  delayMs: number,
): Promise<void> {
  try {
    await deps.jobs.enqueue(queue, payload, { delayMs });
  } catch (error) {
    deps.logger.error({ err: error, queue, payload }, 'enqueue failed; the sweeper will pick this up');
  }
}

/** enqueueAfterCommit for a batch: one round trip (addBulk) for all its jobs. */
export async function enqueueManyAfterCommit<Q extends QueueName>(
  deps: Pick<CheckoutDeps, 'jobs' | 'logger'>,
  queue: Q,
  payloads: JobPayload<Q>[],
  delayMs: number,
): Promise<void> {
  if (payloads.length === 0) return;
  try {
    await deps.jobs.enqueueMany(queue, payloads, { delayMs });
  } catch (error) {
    deps.logger.error({ err: error, queue, jobs: payloads.length }, 'enqueue failed; the sweeper will pick this up');
  }
}

/** Removes a job made pointless by a commit (e.g. expiry of a released hold); best effort. */
export async function removeJobAfterCommit<Q extends QueueName>(
  deps: Pick<CheckoutDeps, 'jobs' | 'logger'>,
  queue: Q,
  payload: JobPayload<Q>,
): Promise<void> {
  try {
    await deps.jobs.remove(queue, payload);
  } catch (error) {
    // Harmless: the job runs, finds nothing to do, and completes.
    deps.logger.warn({ err: error, queue, payload }, 'could not remove a job that is no longer needed');
  }
}
