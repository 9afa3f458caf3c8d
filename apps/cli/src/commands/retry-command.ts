import type { Command } from 'commander';
import type { Queue } from 'bullmq';
import type { QueueName } from '@flash-sale/queues';
import { finding, usageError } from '../exit-codes.ts';
import { printLine } from '../output/print.ts';
import { parseQueueName } from '../options/parse-options.ts';
import { findJob } from '../queue-ops/find-job.ts';
import { runs, type CliContext } from './cli-context.ts';
import { confirmOrAbort, requireConfirmable } from './confirm.ts';

interface RetryOptions {
  allFailed?: boolean;
  yes?: boolean;
}

export function registerRetryCommand(program: Command, context: CliContext): void {
  program
    .command('retry')
    .description('move a failed job, or every failed job (--all-failed), back to waiting')
    .argument('<queue>', 'hold-expiry, order-timeout or payment-webhook', parseQueueName)
    .argument('[id]', 'the failed job to retry')
    .option('--all-failed', 'retry every failed job of the queue (asks first unless --yes)')
    .option('-y, --yes', 'do not ask for confirmation (required off a terminal with --all-failed)')
    .action(
      runs(context, async (queueName: QueueName, id: string | undefined, options: RetryOptions) => {
        if (Boolean(id) === Boolean(options.allFailed)) throw usageError('give either a job id or --all-failed.');
        if (options.allFailed) requireConfirmable(options.yes, 'retry --all-failed');
        const queue = (await context.session.queues()).jobs.queue(queueName);
        if (options.allFailed) return retryAllFailed(queue, options.yes);
        await retryOne(queue, id!);
      }),
    );
}

async function retryOne(queue: Queue, id: string): Promise<void> {
  const { job, state } = await findJob(queue, id);
  // Only a failed job is retried: re-running a completed one would redo its side effects.
  if (state !== 'failed') throw finding(`job ${id} in ${queue.name} is ${state}, not failed; nothing to retry.`);
  await job.retry('failed');
  printLine(`retried job ${id} in ${queue.name}: failed -> ${await job.getState()}`);
}

async function retryAllFailed(queue: Queue, yes: boolean | undefined): Promise<void> {
  const failed = await queue.getJobCountByTypes('failed');
  if (failed === 0) throw finding(`no failed jobs in ${queue.name}; nothing to retry.`);
  await confirmOrAbort(yes, `Retry all ${failed} failed job(s) in ${queue.name}?`);
  // BullMQ moves them in batches until none that failed before this call is left.
  await queue.retryJobs({ state: 'failed', count: 1_000 });
  const stillFailed = await queue.getJobCountByTypes('failed');
  printLine(`retried ${failed} failed job(s) in ${queue.name}: failed -> waiting${stillFailed ? ` (${stillFailed} failed again since)` : ''}`);
}
