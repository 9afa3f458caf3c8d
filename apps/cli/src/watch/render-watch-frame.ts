import type { QueueOverview } from '../queue-ops/queue-overview.ts';
import { formatTime, paintOut, queueStatus, redUnlessZero, renderTable } from '../output.ts';
import type { QueueRates } from './job-rates.ts';

export interface WatchState {
  keyPrefix: string;
  intervalMs: number;
  at: Date;
  overviews: QueueOverview[];
  rates: Map<string, QueueRates>;
  /** Why the latest refresh failed; the last good counts stay on screen meanwhile. */
  problem?: string;
}

/**
 * One frame of `watch`: two title lines, a compact queue table with rates, a footnote. Fewer
 * columns than `queues` (no prioritized, waiting-children: this system uses neither), so a frame
 * fits a normal terminal and redraws without wrapping.
 */
export function renderWatchFrame(state: WatchState): string {
  const lines = [
    `${paintOut('bold', 'flash-sale queues')} · ${formatTime(state.at)} · Ctrl-C to quit`,
    paintOut('dim', `prefix ${state.keyPrefix} · refresh every ${state.intervalMs} ms`),
  ];
  if (state.overviews.length > 0) {
    const head = ['queue', 'status', 'waiting', 'active', 'delayed', 'completed', 'failed', 'done/min', 'failed/min'];
    const rows = state.overviews.map((overview) => {
      const rate = state.rates.get(overview.name);
      const { counts } = overview;
      return [
        overview.name,
        queueStatus(overview.paused),
        counts.waiting,
        counts.active,
        counts.delayed,
        counts.completed,
        redUnlessZero(counts.failed),
        rate ? rate.completedPerMinute : '-',
        rate ? redUnlessZero(rate.failedPerMinute) : '-',
      ];
    });
    lines.push(renderTable(head, rows, { alignRight: [2, 3, 4, 5, 6, 7, 8] }));
  }
  lines.push(paintOut('dim', 'done/min, failed/min: jobs completed and failed in the last minute'));
  if (state.problem) lines.push(paintOut('red', `refresh failed: ${state.problem} (retrying)`));
  return lines.join('\n');
}
