import type { Logger } from '@flash-sale/logger';

const DEADLINE_MS = 15_000;

/**
 * SIGTERM/SIGINT: stop taking work, let in-flight work finish, close the stores, exit 0. A second
 * signal, or the deadline passing, exits at once with 1.
 */
export function installShutdown({ logger, close }: { logger: Logger; close: () => Promise<void> }): void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
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
    close().then(
      () => {
        logger.info('shut down cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
