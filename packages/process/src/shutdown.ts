import type { Logger } from '@flash-sale/logger';

const DEADLINE_MS = 15_000;
const EXIT_BACKSTOP_MS = 2_000;

/**
 * SIGTERM/SIGINT: stop taking work, let in-flight work finish, close the stores, exit 0. A second
 * signal, or the deadline passing, exits at once with 1, its line written through `lastLines`
 * (a logger that writes before returning) so that it is not cut off.
 */
export function installShutdown({ logger, lastLines, close }: { logger: Logger; lastLines: Logger; close: () => Promise<void> }): void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      lastLines.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      lastLines.error({ deadlineMs: DEADLINE_MS }, 'shutdown deadline passed: exiting');
      process.exit(1);
    }, DEADLINE_MS);
    deadline.unref();
    close().then(
      () => {
        logger.info('shut down cleanly');
        exitOnceLogsAreWritten(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exitOnceLogsAreWritten(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Ends the process once the event loop has nothing left to do, with `code`. pino writes stdout
 * asynchronously, and its exit hook cannot rewrite a line whose write is already under way, so
 * `process.exit()` straight after the last line could lose it: "shut down cleanly" went missing
 * that way under load. Everything is closed by now; the backstop ends a process that some
 * forgotten handle would keep alive.
 */
function exitOnceLogsAreWritten(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_BACKSTOP_MS).unref();
}
