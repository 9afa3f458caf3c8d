import type { Command } from '@commander-js/extra-typings';
import { ErrorCode, type Job, type JobState, type Queue } from 'bullmq';
import type { QueueName } from '@flash-sale/queues';
import { finding, usageError } from '../exit-codes.ts';
import { queueArgument } from '../options.ts';
import { printLine } from '../output.ts';
import type { CliContext } from '../stores/session.ts';
import { confirmOrAbort, requireConfirmable } from './confirm.ts';

// What an operator does to one job: run a failed one again, run a delayed one now, delete one.
// Each acts only on a job in the state it applies to, and says what it did.

export function registerJobActions(program: Command, context: CliContext): void {
  program
    .command('retry')
    .description('move a failed job, or every failed job (--all-failed), back to waiting')
    .addArgument(queueArgument())
    .argument('[id]', 'the failed job to retry')
    .option('--all-failed', 'retry every failed job of the queue (asks first unless --yes)')
    .option('-y, --yes', 'do not ask for confirmation (required off a terminal with --all-failed)')
    .action(async (queueName, id, options) => {
      if (Boolean(id) === Boolean(options.allFailed)) throw usageError('give either a job id or --all-failed.');
      if (options.allFailed) {
        requireConfirmable(options.yes, 'retry --all-failed');
        return retryAllFailed(await context.session.queue(queueName), options.yes);
      }
      const { job, state } = await findJob(await context.session.queue(queueName), id!);
      // Only a failed job is retried: re-running a completed one would redo its side effects.
      if (state !== 'failed') throw finding(`job ${id} in ${queueName} is ${state}, not failed; nothing to retry.`);
      await job.retry('failed');
      printLine(`retried job ${id} in ${queueName}: failed -> ${await job.getState()}`);
    });

  program
    .command('promote')
    .description('run a delayed job now: move it from delayed to waiting')
    .addArgument(queueArgument())
    .argument('<id>', 'the delayed job, e.g. hold-12')
    .action(async (queueName, id) => {
      const { job, state } = await findJob(await context.session.queue(queueName), id);
      if (state !== 'delayed') throw finding(`job ${id} in ${queueName} is ${state}, not delayed; nothing to promote.`);
      // Safe for the domain: a job that runs early (an expiry before expires_at) puts itself back.
      await job.promote();
      printLine(`promoted job ${id} in ${queueName}: delayed -> ${await job.getState()}`);
    });

  program
    .command('remove')
    .description('delete a job (asks first unless --yes)')
    .addArgument(queueArgument())
    .argument('<id>', 'the job, e.g. hold-12')
    .option('-y, --yes', 'do not ask for confirmation (required off a terminal)')
    .addHelpText('after', '\nRemoving a hold-expiry or order-timeout job leaves its hold or order to the sweeper.')
    .action(async (queueName, id, options) => {
      requireConfirmable(options.yes, 'remove');
      const queue = await context.session.queue(queueName);
      const { job, state } = await findJob(queue, id);
      await confirmOrAbort(options.yes, `Remove job ${id} (${state}) from ${queueName}?`);
      const removed = await queue.remove(id).catch((error: unknown) => {
        if ((error as { code?: unknown }).code === ErrorCode.JobBelongsToJobScheduler) throw belongsToScheduler(job, queueName, state);
        throw error;
      });
      // BullMQ answers 0 instead of removing a job a worker holds the lock of.
      if (removed === 0) throw finding(`job ${id} in ${queueName} is locked by a worker (${state}); it was not removed.`);
      printLine(`removed job ${id} (${state}) from ${queueName}`);
    });
}

/** The job and its current state; a missing job is a finding (exit 1), not a crash. */
async function findJob(queue: Queue, id: string): Promise<{ job: Job; state: JobState | 'unknown' }> {
  const job = await queue.getJob(id);
  if (!job) throw finding(`no job '${id}' in queue ${queue.name}; nothing was changed.`);
  return { job, state: await job.getState() };
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

/**
 * BullMQ refuses to remove the next run of a job scheduler: the scheduler would be left without
 * one (its `repeat:<scheduler>:<time>` job).
 */
function belongsToScheduler(job: Job, queueName: QueueName, state: string) {
  const which = job.repeatJobKey ? `the job scheduler '${job.repeatJobKey}'` : 'a job scheduler';
  return finding(`job ${job.id} in ${queueName} (${state}) is the next run of ${which}; BullMQ does not remove a scheduler's job, so it was not removed.`);
}
