import { Option, type Command } from 'commander';
import type { Queue } from 'bullmq';
import type { QueueName } from '@flash-sale/queues';
import { finding } from '../exit-codes.ts';
import { parseDuration, parseNonNegativeInteger, queueArgument } from '../options.ts';
import { formatDuration, printLine } from '../output.ts';
import type { CliContext } from './cli-context.ts';
import { confirmOrAbort, requireConfirmable } from './confirm.ts';

// What an operator does to a whole queue: delete its old finished jobs, pause it, resume it.

interface CleanOptions {
  state: 'completed' | 'failed';
  olderThan: number;
  limit: number;
  yes?: boolean;
}

export function registerQueueActions(program: Command, context: CliContext): void {
  const queueOf = async (name: QueueName) => (await context.session.queues()).jobs.queue(name);

  program
    .command('clean')
    .description('delete completed or failed jobs that finished longer ago than a duration (asks first unless --yes)')
    .addArgument(queueArgument())
    .addOption(new Option('--state <state>', 'which finished jobs').choices(['completed', 'failed']).makeOptionMandatory())
    .addOption(new Option('--older-than <duration>', 'finished longer ago than this: 30s, 15m, 1h, 2d').argParser(parseDuration).makeOptionMandatory())
    .option('--limit <n>', 'delete at most this many (0: no limit)', parseNonNegativeInteger, 0)
    .option('-y, --yes', 'do not ask for confirmation (required off a terminal)')
    .action(async (queueName: QueueName, options: CleanOptions) => {
      requireConfirmable(options.yes, 'clean');
      // A big clean is a few long scripts: it gets the connection with the longer allowance.
      const queue = await (await context.session.queues()).queueForLongCommands(queueName);
      const age = formatDuration(options.olderThan);
      await confirmOrAbort(options.yes, `Delete ${options.limit ? `at most ${options.limit}` : 'all'} ${options.state} jobs older than ${age} from ${queueName}?`);
      const removed = await cleanAtMost(queue, options);
      if (removed === 0) throw finding(`no ${options.state} jobs older than ${age} in ${queueName}; nothing was deleted.`);
      printLine(`deleted ${removed} ${options.state} job(s) older than ${age} from ${queueName}`);
    });

  program
    .command('pause')
    .description('stop workers from taking new jobs of a queue (running jobs finish; jobs keep arriving)')
    .addArgument(queueArgument())
    .addHelpText('after', '\nThe sweeper is on no queue: while hold-expiry or order-timeout is paused, each worker still\nexpires holds and times out orders once they are 2 s overdue, at its next sweep. Payment events\nit re-drives go to payment-webhook, so they wait for its resume.')
    .action(async (queueName: QueueName) => {
      const queue = await queueOf(queueName);
      if (await queue.isPaused()) throw finding(`${queueName} is already paused; nothing changed.`);
      await queue.pause();
      printLine(`paused ${queueName}: workers take no new jobs until \`resume ${queueName}\``);
    });

  program
    .command('resume')
    .description('let workers take jobs of a paused queue again')
    .addArgument(queueArgument())
    .action(async (queueName: QueueName) => {
      const queue = await queueOf(queueName);
      if (!(await queue.isPaused())) throw finding(`${queueName} is not paused; nothing changed.`);
      await queue.resume();
      printLine(`resumed ${queueName}: workers take its jobs again`);
    });
}

// The most jobs one call of BullMQ's clean deletes.
const CLEAN_CALL_LIMIT = 10_000;

/**
 * BullMQ's clean with a limit above 10,000 asks for 10,000 on every call and goes on while a call
 * comes back full, so it can delete up to 9,999 more than the limit: the limit is kept here, by
 * calls of at most 10,000 that never ask for more than is left of it.
 */
async function cleanAtMost(queue: Queue, options: CleanOptions): Promise<number> {
  if (options.limit === 0) return (await queue.clean(options.olderThan, 0, options.state)).length;
  let removed = 0;
  while (removed < options.limit) {
    const ask = Math.min(CLEAN_CALL_LIMIT, options.limit - removed);
    const batch = await queue.clean(options.olderThan, ask, options.state);
    removed += batch.length;
    if (batch.length < ask) break;
  }
  return removed;
}
