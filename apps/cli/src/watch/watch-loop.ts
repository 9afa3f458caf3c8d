import { setTimeout as sleep } from 'node:timers/promises';
import { reasonOf } from '../stores/reachability.ts';
import { untilAborted } from './interrupts.ts';
import type { QueueStats } from './read-queue-stats.ts';

export interface WatchLoop {
  readStats: () => Promise<QueueStats>;
  /** Draws one frame: the latest good stats and, when the latest refresh failed, why. */
  draw: (stats: QueueStats, problem: string | undefined) => void;
  intervalMs: number;
  /** Ends the loop: at once, even in the middle of a refresh. */
  signal: AbortSignal;
}

/** Refreshes and draws every `intervalMs` until `signal` aborts. */
export async function runWatchLoop({ readStats, draw, intervalMs, signal }: WatchLoop): Promise<void> {
  let stats: QueueStats = { overviews: [], rates: new Map() };
  while (!signal.aborted) {
    let problem: string | undefined;
    try {
      // Raced against Ctrl-C: a refresh waiting on a Redis that stopped answering can take
      // seconds, and quitting must not wait for it.
      stats = await untilAborted(readStats(), signal);
    } catch (error) {
      if (signal.aborted) return;
      // A failed refresh keeps the last good counts on screen and says why.
      problem = reasonOf(error);
    }
    draw(stats, problem);
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
  }
}
