import type { Command } from 'commander';
import { ErrorCode, type Job } from 'bullmq';
import type { QueueName } from '@flash-sale/queues';
import { finding } from '../exit-codes.ts';
import { printLine } from '../output/print.ts';
import { parseQueueName } from '../options/parse-options.ts';
import { findJob } from '../queue-ops/find-job.ts';
import { runs, type CliContext } from './cli-context.ts';
import { confirmOrAbort, requireConfirmable } from './confirm.ts';

export function registerRemoveCommand(program: Command, context: CliContext): void {
  program
    .command('remove')
    .description('delete a job (asks first unless --yes)')
    .argument('<queue>', 'hold-expiry, order-timeout or payment-webhook', parseQueueName)
    .argument('<id>', 'the job, e.g. hold-12')
    .option('-y, --yes', 'do not ask for confirmation (required off a terminal)')
    .addHelpText('after', '\nRemoving a hold-expiry or order-timeout job leaves its hold or order to the sweeper.')
    .action(
      runs(context, async (queueName: QueueName, id: string, options: { yes?: boolean }) => {
        requireConfirmable(options.yes, 'remove');
        const queue = (await context.session.queues()).jobs.queue(queueName);
        const { job, state } = await findJob(queue, id);
        await confirmOrAbort(options.yes, `Remove job ${id} (${state}) from ${queueName}?`);
        let removed: number;
        try {
          removed = await queue.remove(id);
        } catch (error) {
          if ((error as { code?: unknown }).code === ErrorCode.JobBelongsToJobScheduler) throw belongsToScheduler(job, queueName, state);
          throw error;
        }
        // BullMQ answers 0 instead of removing a job a worker holds the lock of.
        if (removed === 0) throw finding(`job ${id} in ${queueName} is locked by a worker (${state}); it was not removed.`);
        printLine(`removed job ${id} (${state}) from ${queueName}`);
      }),
    );
}

/**
 * BullMQ refuses to remove the next run of a job scheduler: the scheduler would be left without
 * one (its `repeat:<scheduler>:<time>` job).
 */
function belongsToScheduler(job: Job, queueName: QueueName, state: string) {
  const scheduler = job.repeatJobKey;
  const which = scheduler ? `the job scheduler '${scheduler}'` : 'a job scheduler';
  return finding(`job ${job.id} in ${queueName} (${state}) is the next run of ${which}; BullMQ does not remove a scheduler's job, so it was not removed.`);
}
