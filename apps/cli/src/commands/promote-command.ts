import type { Command } from 'commander';
import type { QueueName } from '@flash-sale/queues';
import { finding } from '../exit-codes.ts';
import { printLine } from '../output/print.ts';
import { parseQueueName } from '../options/parse-options.ts';
import { findJob } from '../queue-ops/find-job.ts';
import { runs, type CliContext } from './cli-context.ts';

export function registerPromoteCommand(program: Command, context: CliContext): void {
  program
    .command('promote')
    .description('run a delayed job now: move it from delayed to waiting')
    .argument('<queue>', 'hold-expiry, order-timeout or payment-webhook', parseQueueName)
    .argument('<id>', 'the delayed job, e.g. hold-12')
    .action(
      runs(context, async (queueName: QueueName, id: string) => {
        const queue = (await context.session.queues()).jobs.queue(queueName);
        const { job, state } = await findJob(queue, id);
        if (state !== 'delayed') throw finding(`job ${id} in ${queueName} is ${state}, not delayed; nothing to promote.`);
        // Safe for the domain: a job that runs early (an expiry before expires_at) puts itself back.
        await job.promote();
        printLine(`promoted job ${id} in ${queueName}: delayed -> ${await job.getState()}`);
      }),
    );
}
