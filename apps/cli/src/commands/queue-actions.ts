import { Option, type Command } from '@commander-js/extra-typings';
import type { Queue } from 'bullmq';
import { finding } from '../exit-codes.ts';
import { parseDuration, parseNonNegativeInteger, queueArgument } from '../options.ts';
import { formatDuration, printLine } from '../output.ts';
import type { CliContext } from '../stores/session.ts';
import { confirmOrAbort, requireConfirmable } from './confirm.ts';

// What an operator does to a whole queue: delete its old finished jobs, pause it, resume it.

export function registerQueueActions(program: Command, context: CliContext): void {
  program
    .command('clean')
    .description('delete completed or failed jobs that finished longer ago than a duration (asks first unless --yes)')
    .addArgument(queueArgument())
    .addOption(new Option('--state <state>', 'which finished jobs').choices(['completed', 'failed'] as const).makeOptionMandatory())
    .addOption(new Option('--older-than <duration>', 'finished longer ago than this: 30s, 15m, 1h, 2d').argParser(parseDuration).makeOptionMandatory())
    .option('--limit <n>', 'delete at most this many (0: no limit)', parseNonNegativeInteger, 0)
    .option('-y, --yes', 'do not ask for confirmation (required off a terminal)')
    .action(async (queueName, options) => {
      requireConfirmable(options.yes, 'clean');
      const queue = await context.session.queue(queueName);
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
    .action(async (queueName) => {
      const queue = await context.session.queue(queueName);
      if (await queue.isPaused()) throw finding(`${queueName} is already paused; nothing changed.`);
      await queue.pause();
      printLine(`paused ${queueName}: workers take no new jobs until \`resume ${queueName}\``);
    });

  program
    .command('resume')
    .description('let workers take jobs of a paused queue again')
    .addArgument(queueArgument())
    .action(async (queueName) => {
      const queue = await context.session.queue(queueName);
      if (!(await queue.isPaused())) throw finding(`${queueName} is not paused; nothing changed.`);
      await queue.resume();
      printLine(`resumed ${queueName}: workers take its jobs again`);
    });
}

/**
 * The most jobs one call of BullMQ's clean is asked to delete. Each call is one Lua script, and
 * 1,000 finished jobs take a few milliseconds (10,000 about 40 ms on our machines), far inside
 * the fail-fast connection's 1 s per command, so a Redis that stops answering mid-clean is still
 * reported in seconds. Asking for at most what is left of --limit also keeps the limit, which
 * BullMQ's own batching (10,000 per call while a call comes back full) could pass by 9,999.
 */
const CLEAN_BATCH = 1_000;

async function cleanAtMost(queue: Queue, { olderThan, limit, state }: { olderThan: number; limit: number; state: 'completed' | 'failed' }): Promise<number> {
  let removed = 0;
  for (;;) {
    const ask = limit === 0 ? CLEAN_BATCH : Math.min(CLEAN_BATCH, limit - removed);
    if (ask === 0) return removed;
    const batch = await queue.clean(olderThan, ask, state);
    removed += batch.length;
    if (batch.length < ask) return removed;
  }
}
