import { Command } from '@commander-js/extra-typings';
import { registerAuditCommand } from './commands/audit-command.ts';
import type { CliContext } from './stores/session.ts';
import { registerJobActions } from './commands/job-actions.ts';
import { registerJobCommand } from './commands/job-command.ts';
import { registerJobsCommand } from './commands/jobs-command.ts';
import { registerQueueActions } from './commands/queue-actions.ts';
import { registerQueuesCommand } from './commands/queues-command.ts';
import { registerWatchCommand } from './commands/watch-command.ts';
import { registerWebhooksCommand } from './commands/webhooks-command.ts';
import { exitCodeHelp } from './exit-codes.ts';
import { paint } from './output.ts';

const environmentHelp = `
Environment: the services' own (see the README), so the CLI sees what they see:
  the queue commands read REDIS_URL and REDIS_KEY_PREFIX, webhooks DATABASE_URL,
  and audit every variable the services read. NO_COLOR=1 turns colour off (it is
  only ever used on a terminal). Destructive actions ask first; pass --yes in scripts.`;

export function buildProgram(context: CliContext): Command {
  const program = new Command('flash-sale')
    .description('Ops CLI for the flash-sale checkout: BullMQ queues and jobs, the stock audit, payment webhooks.')
    // Before any subcommand is added, so they inherit it: commander then throws instead of
    // exiting, and main maps its errors to exit code 2 after closing the connections.
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(paint(process.stderr, 'red', message)) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `${exitCodeHelp}\n${environmentHelp}`);

  // In the order `--help` lists them: inspection, actions on a job, on a queue, then the rest.
  for (const register of [registerQueuesCommand, registerJobsCommand, registerJobCommand, registerJobActions, registerQueueActions, registerWatchCommand, registerAuditCommand, registerWebhooksCommand]) {
    register(program, context);
  }
  return program;
}
