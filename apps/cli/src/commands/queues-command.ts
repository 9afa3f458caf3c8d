import type { Command } from 'commander';
import { printJson, printLine, queueStatus, redUnlessZero, renderTable } from '../output.ts';
import { readQueueOverviews, type QueueOverview } from '../queue-ops/queue-overview.ts';
import type { CliContext } from './cli-context.ts';

export function registerQueuesCommand(program: Command, context: CliContext): void {
  program
    .command('queues')
    .description('every queue with its job counts by state and whether it is paused')
    .option('--json', 'print JSON only: [{ name, paused, counts: { waiting, active, ... } }]')
    .action(async (options: { json?: boolean }) => {
      const overviews = await readQueueOverviews((await context.session.queues()).jobs);
      if (options.json) return printJson(overviews);
      printLine(renderQueueTable(overviews));
    });
}

function renderQueueTable(overviews: QueueOverview[]): string {
  const head = ['queue', 'status', 'waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed', 'paused'];
  const rows = overviews.map(({ name, paused, counts }) => [
    name,
    queueStatus(paused),
    counts.waiting,
    counts.active,
    counts.delayed,
    counts.prioritized,
    counts['waiting-children'],
    counts.completed,
    redUnlessZero(counts.failed),
    counts.paused,
  ]);
  return renderTable(head, rows, { alignRight: [2, 3, 4, 5, 6, 7, 8, 9] });
}
