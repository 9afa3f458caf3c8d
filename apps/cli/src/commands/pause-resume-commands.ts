import type { Command } from 'commander';
import type { QueueName } from '@flash-sale/queues';
import { finding } from '../exit-codes.ts';
import { printLine } from '../output/print.ts';
import { parseQueueName } from '../options/parse-options.ts';
import { runs, type CliContext } from './cli-context.ts';

export function registerPauseResumeCommands(program: Command, context: CliContext): void {
  program
    .command('pause')
    .description('stop workers from taking new jobs of a queue (running jobs finish; jobs keep arriving)')
    .argument('<queue>', 'hold-expiry, order-timeout or payment-webhook', parseQueueName)
    .addHelpText('after', '\nThe sweeper is on no queue: while hold-expiry or order-timeout is paused, each worker still\nexpires holds and times out orders once they are 2 s overdue, at its next sweep. Payment events\nit re-drives go to payment-webhook, so they wait for its resume.')
    .action(
      runs(context, async (queueName: QueueName) => {
        const queue = (await context.session.queues()).jobs.queue(queueName);
        if (await queue.isPaused()) throw finding(`${queueName} is already paused; nothing changed.`);
        await queue.pause();
        printLine(`paused ${queueName}: workers take no new jobs until \`resume ${queueName}\``);
      }),
    );

  program
    .command('resume')
    .description('let workers take jobs of a paused queue again')
    .argument('<queue>', 'hold-expiry, order-timeout or payment-webhook', parseQueueName)
    .action(
      runs(context, async (queueName: QueueName) => {
        const queue = (await context.session.queues()).jobs.queue(queueName);
        if (!(await queue.isPaused())) throw finding(`${queueName} is not paused; nothing changed.`);
        await queue.resume();
        printLine(`resumed ${queueName}: workers take its jobs again`);
      }),
    );
}
