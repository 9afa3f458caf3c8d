import { isStrayDriverInitError } from '@flash-sale/db';
import type { Logger } from '@flash-sale/logger';

/**
 * An unhandled rejection or exception is logged as one fatal line and ends the process (exit 1),
 * as Node would, so the orchestrator restarts it; the one known-harmless driver rejection is
 * logged and ignored (see isStrayDriverInitError).
 */
export function installCrashGuards(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    if (isStrayDriverInitError(reason)) {
      logger.warn({ err: reason }, 'MySQL connection broke while opening; the pool retries');
      return;
    }
    logger.fatal({ err: reason }, 'unhandled rejection: exiting');
    process.exit(1);
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: exiting');
    process.exit(1);
  });
}
