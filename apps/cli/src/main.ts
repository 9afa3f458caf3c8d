// flash-sale: the ops CLI. Runs one command, closes every connection it opened and exits with
// a documented code (see exit-codes.ts, or `flash-sale --help`).
import { ExitCode } from './exit-codes.ts';
import { buildProgram } from './program.ts';
import { printError } from './output.ts';
import { reportFailure } from './report-failure.ts';
import { withDeadline } from '@flash-sale/queues';
import { reasonOf } from './stores/reachability.ts';
import { createSession, type CliContext } from './stores/session.ts';

const CLOSE_DEADLINE_MS = 1_000;

// `flash-sale jobs … | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// Thrown outside the command's own promise chain (in an event handler, a promise nobody awaits):
// an unexpected failure too (exit 4), whatever its code: a stray ECONNRESET here may be stdout's,
// not a store's. Node's own exit code for it, 1, would read as a finding.
process.on('uncaughtException', (error) => void crash(error));
process.on('unhandledRejection', (reason) => void crash(reason));

async function crash(error: unknown): Promise<void> {
  // The mariadb driver's one known stray rejection, which the pool has already dealt with.
  if (typeof (error as { errno?: unknown } | null)?.errno === 'number') {
    const { isStrayDriverInitError } = await import('@flash-sale/db');
    if (isStrayDriverInitError(error)) return;
  }
  printError(`unexpected failure: ${reasonOf(error)}`);
  process.exit(ExitCode.unexpected);
}

const context: CliContext = { session: createSession(), exitCode: ExitCode.ok };
let exitCode: ExitCode;
try {
  await buildProgram(context).parseAsync(process.argv);
  exitCode = context.exitCode;
} catch (error) {
  exitCode = await reportFailure(error);
}
await withDeadline(context.session.close(), CLOSE_DEADLINE_MS, () => new Error('close timed out')).catch(() => undefined);
process.exitCode = exitCode;
// A store that never answered leaves its client retrying in the background (the MySQL pool for
// ~10 s). Nothing is left to do, so the process does not wait for it; writes to stdout and
// stderr are synchronous for files, pipes and terminals on Linux, so nothing is cut off.
setTimeout(() => process.exit(exitCode), 100).unref();
