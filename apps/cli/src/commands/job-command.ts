import type { Command } from '@commander-js/extra-typings';
import { finding } from '../exit-codes.ts';
import { queueArgument } from '../options.ts';
import { paintOut, printJson, printLine, renderTable } from '../output.ts';
import { readJobDetails, type JobDetails } from '../queue-ops/job-details.ts';
import type { CliContext } from '../stores/session.ts';

export function registerJobCommand(program: Command, context: CliContext): void {
  program
    .command('job')
    .description('one job in full: data, options, attempts, progress, logs, stacktrace, timestamps, result')
    .addArgument(queueArgument())
    .argument('<id>', 'job id, e.g. hold-12')
    .option('--json', 'print JSON only')
    .action(async (queueName, id, options) => {
      const details = await readJobDetails(await context.session.queue(queueName), id);
      if (!details) throw finding(`no job '${id}' in queue ${queueName}.`);
      if (options.json) return printJson(details);
      printJobDetails(details);
    });
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2) ?? 'undefined';

function printJobDetails(job: JobDetails): void {
  const summary: [string, string][] = [
    ['queue', job.queue],
    ['id', job.id],
    ['name', job.name],
    ['state', job.state === 'failed' ? paintOut('red', job.state) : job.state],
    ['attempts made', `${job.attemptsMade} of ${job.maxAttempts} (started ${job.attemptsStarted})`],
    ['progress', pretty(job.progress)],
    ['created', job.timestamps.created ?? '-'],
    ['processed', job.timestamps.processed ?? '-'],
    ['finished', job.timestamps.finished ?? '-'],
  ];
  if (job.timestamps.dueAt) summary.push(['due at', job.timestamps.dueAt]);
  if (job.failedReason) summary.push(['failed reason', paintOut('red', job.failedReason)]);
  printLine(renderTable(['field', 'value'], summary));
  const section = (title: string, body: string) => printLine(`\n${paintOut('bold', title)}\n${body}`);
  section('data', pretty(job.data));
  section('options', pretty(job.options));
  section('return value', pretty(job.returnValue));
  section(`logs (${job.logs.length})`, job.logs.join('\n') || '(none)');
  section(`stacktrace (${job.stacktrace.length})`, job.stacktrace.join('\n\n') || '(none)');
}
