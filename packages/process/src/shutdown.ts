import type { Logger } from '@flash-sale/logger';

const DEADLINE_MS = 15_000;
const EXIT_BACKSTOP_MS = 2_000;
/** Set by `npm start`'s launcher (run-together.ts) on the children it gives an IPC channel. */
export const LAUNCHER_CHANNEL_VARIABLE = 'FLASH_SALE_LAUNCHER_CHANNEL';

/**
 * SIGTERM/SIGINT: stop taking work, let in-flight work finish, close the stores, exit 0. A second
 * signal, or the deadline passing, exits at once with 1. A process started by `npm start`'s
 * launcher (run-together.ts) drains the same way when the launcher dies.
 */
export function installShutdown({ logger, close }: { logger: Logger; close: () => Promise<void> }): void {
  let shuttingDown = false;
  let closed = false;
  const onSignal = (signal: NodeJS.Signals | 'launcher gone') => {
    // Everything is closed and the process is ending: nothing left to cut short, keep the code.
    if (closed) process.exit();
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: DEADLINE_MS }, 'shutdown deadline passed: exiting');
      process.exit(1);
    }, DEADLINE_MS);
    deadline.unref();
    const end = (code: number) => {
      closed = true;
      clearTimeout(deadline);
      exitOnceLogsAreWritten(code);
    };
    close().then(
      () => {
        logger.info('shut down cleanly');
        end(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        end(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The launcher's IPC channel closes only when the launcher is gone. It must not keep this
  // process alive on its own, and while a drain is under way its closing is not a second signal:
  // the launcher was killed, nobody asked to hurry. `process.send` tells a process started with
  // a channel (`process.channel` is null once the channel has closed); the variable, that the
  // channel is the launcher's. It is not passed on to anything this process starts.
  const launched = process.env[LAUNCHER_CHANNEL_VARIABLE] === '1';
  delete process.env[LAUNCHER_CHANNEL_VARIABLE];
  if (launched && process.send) {
    process.channel?.unref();
    if (process.connected) {
      process.once('disconnect', () => {
        if (!shuttingDown) onSignal('launcher gone');
      });
    } else {
      // The launcher died while this process was still starting, before anyone listened.
      onSignal('launcher gone');
    }
  }
}

/**
 * Ends the process with `code` once the event loop has nothing left to do, so its last lines
 * come out in order. pino writes stdout asynchronously, and its exit hook writes what is queued
 * synchronously but leaves a write already under way to finish during the exit: after a plain
 * `process.exit()`, "shut down cleanly" could land before a line logged earlier ("shutting
 * down" came out last that way under load). Everything is closed by now; the backstop ends a
 * process that some forgotten handle would keep alive.
 */
function exitOnceLogsAreWritten(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_BACKSTOP_MS).unref();
}
