import type { Command } from 'commander';
import { printJson, printLine } from '../output/print.ts';
import { renderQueueTable } from '../output/queue-table.ts';
import { readQueueOverviews } from '../queue-ops/queue-overview.ts';
import { runs, type CliContext } from './cli-context.ts';

export function registerQueuesCommand(program: Command, context: CliContext): void {
  program
    .command('queues')
    .description('every queue with its job counts by state and whether it is paused')
    .option('--json', 'print JSON only: [{ name, paused, counts: { waiting, active, ... } }]')
    .action(
      runs(context, async (options: { json?: boolean }) => {
        const { jobs } = await context.session.queues();
        const overviews = await readQueueOverviews(jobs);
        if (options.json) return printJson(overviews);
        printLine(renderQueueTable(overviews));
      }),
    );
}
