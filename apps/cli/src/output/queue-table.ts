import type { QueueOverview } from '../queue-ops/queue-overview.ts';
import { paintOut } from './colour.ts';
import { renderTable } from './table.ts';

export const queueStatus = (overview: Pick<QueueOverview, 'paused'>) => (overview.paused ? paintOut('yellow', 'paused') : paintOut('green', 'running'));
export const failedCount = (count: number) => (count > 0 ? paintOut('red', String(count)) : String(count));

/** Every queue with every count, for `queues`. */
export function renderQueueTable(overviews: QueueOverview[]): string {
  const head = ['queue', 'status', 'waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed', 'paused'];
  const rows = overviews.map(({ counts, ...overview }) => [
    overview.name,
    queueStatus(overview),
    counts.waiting,
    counts.active,
    counts.delayed,
    counts.prioritized,
    counts['waiting-children'],
    counts.completed,
    failedCount(counts.failed),
    counts.paused,
  ]);
  return renderTable(head, rows, { alignRight: [2, 3, 4, 5, 6, 7, 8, 9] });
}
