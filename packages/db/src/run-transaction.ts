import { setTimeout as sleep } from 'node:timers/promises';
import type { Db, Tx } from './client.ts';
import { isDatabaseUnavailableError, isRetryableTransactionError, lockContention, mysqlUnavailable } from './db-errors.ts';
import { NO_ANSWER_MS } from './fail-fast-adapter.ts';

export interface TransactionOptions {
  /** Attempts in all, counting the first; deadlocks and lock-wait timeouts use them up. */
  maxAttempts?: number;
  /** Called when an attempt failed and is about to be run again (its writes were rolled back). */
  onRetry?: () => void;
}

// Waiting for a pooled connection is how overload queues; past this the caller gets a 503.
const MAX_WAIT_MS = 5_000;
// A transaction that runs longer than this is rolled back; ours take milliseconds. Longer than
// the adapter's no-answer deadline on purpose: a statement MySQL leaves hanging is then given up
// on by the adapter (a 503, and no wait for the ROLLBACK), not by Prisma, whose timeout sends a
// ROLLBACK that queues behind the hung statement and waits with it for as long as MySQL hangs.
const TIMEOUT_MS = NO_ANSWER_MS + 8_000;

/**
 * Runs `work` as one interactive transaction. A deadlock victim or lock-wait timeout is run again
 * from the start (its writes were rolled back) up to `maxAttempts` times with jittered backoff,
 * then surfaces as a 503; an unreachable MySQL surfaces as a 503 at once. Any other error,
 * domain errors included, rolls back and propagates unchanged.
 */
export async function runTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 4;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.$transaction(work, { maxWait: MAX_WAIT_MS, timeout: TIMEOUT_MS });
    } catch (error) {
      if (isRetryableTransactionError(error)) {
        if (attempt < maxAttempts) {
          options.onRetry?.();
          await sleep(Math.random() * 20 * attempt);
          continue;
        }
        throw lockContention(error);
      }
      if (isDatabaseUnavailableError(error)) {
        throw mysqlUnavailable(error);
      }
      throw error;
    }
  }
}
