import { isStrayDriverInitError } from '@flash-sale/db';
import type { Logger } from '@flash-sale/logger';

/**
 * A start that cannot go on for a reason the operator fixes in the configuration (a port taken,
 * a host that does not resolve): the crash guards log its message as one fatal line, without a
 * stack, and exit 1.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}

// What Node's listen() says, in the operator's words.
const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'is taken (another process listens there)',
  EACCES: 'needs privileges this process does not have (a port below 1024?)',
  EADDRNOTAVAIL: 'is not an address of this host',
  ENOTFOUND: 'does not resolve',
  EAI_AGAIN: 'does not resolve (DNS did not answer)',
};

/** A failed listen on `where` (named by its variables), as a StartupError when it is one of those. */
export function listenFailure(error: unknown, where: string, hint = ''): unknown {
  const problem = LISTEN_FAILURES[(error as NodeJS.ErrnoException | null)?.code ?? ''];
  return problem ? new StartupError(`${where} ${problem}${hint}.`, { cause: error }) : error;
}

/**
 * An unhandled rejection or exception is logged as one fatal line and ends the process (exit 1),
 * as Node would, so the orchestrator restarts it; the one known-harmless driver rejection is
 * logged and ignored (see isStrayDriverInitError).
 */
export function installCrashGuards(logger: Logger): void {
  const fatal = (error: unknown, message: string) => {
    if (error instanceof StartupError) logger.fatal(error.message);
    else logger.fatal({ err: error }, message);
    process.exit(1);
  };
  process.on('unhandledRejection', (reason) => {
    if (isStrayDriverInitError(reason)) {
      logger.warn({ err: reason }, 'MySQL connection broke while opening; the pool retries');
      return;
    }
    fatal(reason, 'unhandled rejection: exiting');
  });
  process.on('uncaughtException', (error) => fatal(error, 'uncaught exception: exiting'));
}
