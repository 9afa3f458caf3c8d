import { setTimeout as sleep } from 'node:timers/promises';
import { withDeadline } from '@flash-sale/queues';
import type { QueueOverview } from '../queue-ops/queue-overview.ts';
import { reasonOf } from '../stores/reachability.ts';
import { untilAborted } from './interrupts.ts';
import type { QueueRates } from './job-rates.ts';

export interface QueueStats {
  overviews: QueueOverview[];
  rates: Map<string, QueueRates>;
}

export interface WatchLoop {
  readStats: () => Promise<QueueStats>;
  /** Draws one frame: the latest good stats and, when the latest refresh failed, why. */
  draw: (stats: QueueStats, problem: string | undefined) => void;
  intervalMs: number;
  /** How long one frame waits for a refresh before it says Redis is not answering. */
  deadlineMs: number;
  /** Ends the loop: at once, even in the middle of a refresh. */
  signal: AbortSignal;
}

/**
 * Refreshes and draws every `intervalMs` until `signal` aborts. At most one read is in flight: a
 * read that outlived its deadline may still be running (Redis answers late, or not until the
 * command times out), so the next frame waits for that one again instead of piling another
 * beside it on a Redis already slow.
 */
export async function runWatchLoop({ readStats, draw, intervalMs, deadlineMs, signal }: WatchLoop): Promise<void> {
  let stats: QueueStats = { overviews: [], rates: new Map() };
  let pending: Promise<QueueStats> | undefined;
  while (!signal.aborted) {
    let problem: string | undefined;
    if (!pending) {
      const read = readStats();
      pending = read;
      // Cleared when it settles, however late; a failure is reported below while a frame waits.
      const clear = () => (pending = undefined);
      read.then(clear, clear);
    }
    try {
      // Raced against Ctrl-C: a refresh waiting on a Redis that stopped answering can take
      // seconds, and quitting must not wait for it.
      stats = await untilAborted(withDeadline(pending, deadlineMs, () => new Error(`Redis did not answer within ${deadlineMs} ms`)), signal);
    } catch (error) {
      if (signal.aborted) return;
      // A failed refresh keeps the last good counts on screen and says why.
      problem = reasonOf(error);
    }
    draw(stats, problem);
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
  }
}
