import type { Command } from '@commander-js/extra-typings';
import { printJson, printLine, renderQueueTable } from '../output.ts';
import { readQueueOverviews } from '../queue-ops/queue-overview.ts';
import type { CliContext } from '../stores/session.ts';

export function registerQueuesCommand(program: Command, context: CliContext): void {
  program
    .command('queues')
    .description('every queue with its job counts by state and whether it is paused')
    .option('--json', 'print JSON only: [{ name, paused, counts: { waiting, active, ... } }]')
    .action(async (options) => {
      const overviews = await readQueueOverviews((await context.session.queues()).jobs);
      if (options.json) return printJson(overviews);
      printLine(renderQueueTable(overviews, ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed', 'paused']));
    });
}
