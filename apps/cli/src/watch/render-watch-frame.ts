import type { QueueOverview } from '../queue-ops/queue-overview.ts';
import { formatTime, paintOut, redUnlessZero, renderQueueTable } from '../output.ts';
import type { QueueStats } from './watch-loop.ts';

export type WatchState = QueueStats & {
  keyPrefix: string;
  intervalMs: number;
  at: Date;
  /** Why the latest refresh failed; the last good counts stay on screen meanwhile. */
  problem?: string | undefined;
};

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
    const rates = (overview: QueueOverview) => {
      const rate = state.rates.get(overview.name);
      return rate ? [rate.completedPerMinute, redUnlessZero(rate.failedPerMinute)] : ['-', '-'];
    };
    lines.push(renderQueueTable(state.overviews, ['waiting', 'active', 'delayed', 'completed', 'failed'], { head: ['done/min', 'failed/min'], cells: rates }));
  }
  lines.push(paintOut('dim', 'done/min, failed/min: jobs completed and failed in the last minute'));
  if (state.problem) lines.push(paintOut('red', `refresh failed: ${state.problem} (retrying)`));
  return lines.join('\n');
}
