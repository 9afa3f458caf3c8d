import { Option, type Command } from '@commander-js/extra-typings';
import { parsePositiveInteger, queueArgument } from '../options.ts';
import { excerpt, formatDuration, paintOut, printJson, printLine, renderTable } from '../output.ts';
import { listableStates, listJobs } from '../queue-ops/list-jobs.ts';
import type { CliContext } from '../stores/session.ts';

export function registerJobsCommand(program: Command, context: CliContext): void {
  program
    .command('jobs')
    .description('a page of jobs of one queue, newest first (delayed: soonest due first)')
    .addArgument(queueArgument())
    .addOption(new Option('--state <state>', 'only jobs in this state (default: every state)').choices(listableStates))
    .option('--limit <n>', 'jobs per page', parsePositiveInteger, 20)
    .option('--page <n>', 'page number, from 1', parsePositiveInteger, 1)
    .option('--json', 'print JSON only: { queue, state, page, limit, total, jobs: [...] }')
    .action(async (queueName, options) => {
      const now = Date.now();
      const page = await listJobs(await context.session.queue(queueName), { state: options.state, limit: options.limit, page: options.page, now });
      if (options.json) return printJson({ queue: queueName, state: options.state ?? 'all', page: options.page, limit: options.limit, ...page });
      const rows = page.jobs.map((job) => [
        job.id,
        job.name,
        job.state === 'failed' ? paintOut('red', job.state) : job.state,
        `${job.attemptsMade}/${job.maxAttempts}`,
        formatDuration(job.ageMs),
        formatDelayLeft(job.dueAt, now),
        excerpt(job.failedReason),
      ]);
      printLine(renderTable(['id', 'name', 'state', 'attempts', 'age', 'delay left', 'failed reason'], rows));
      const pages = Math.max(1, Math.ceil(page.total / options.limit));
      printLine(`${queueName} · ${options.state ?? 'every state'} · page ${options.page} of ${pages} · ${page.total} job(s)`);
    });
}

/** A delayed job past its due time is waiting for a worker to move it: worth seeing at a glance. */
function formatDelayLeft(dueAt: number | null, now: number): string {
  if (dueAt === null) return '';
  return dueAt > now ? formatDuration(dueAt - now) : paintOut('yellow', `due ${formatDuration(now - dueAt)} ago`);
}
