import { CommanderError } from '@commander-js/extra-typings';
import { ServiceUnavailableError } from '@flash-sale/errors';
import { CliError, ExitCode } from './exit-codes.ts';
import { printError } from './output.ts';
import { reasonOf } from './stores/reachability.ts';
import { isRedisUnavailableError } from '@flash-sale/queues';

/** Prints what went wrong as one line on stderr and returns the exit code it maps to. */
export async function reportFailure(error: unknown): Promise<ExitCode> {
  // Commander has already printed its message (or the help it was asked for).
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (error instanceof CliError) {
    printError(error.message);
    return error.exitCode;
  }
  const unavailable = await storeUnavailable(error);
  if (unavailable) {
    printError(unavailable);
    return ExitCode.unreachable;
  }
  printError(`unexpected failure: ${reasonOf(error)}`);
  if (process.env.FLASH_SALE_CLI_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return ExitCode.unexpected;
}

/**
 * What to say when the error, or any error in its `cause` chain, means a store went away or
 * stayed too busy: the shared code wraps driver errors (runTransaction turns an unreachable
 * MySQL or lock contention into a ServiceUnavailableError with the original as its cause).
 * The most specific error in the chain names the store; undefined when none of them is one.
 */
async function storeUnavailable(error: unknown): Promise<string | undefined> {
  let wrapped: ServiceUnavailableError | undefined;
  // Outermost first; no chain of ours is ten deep, so the bound only ends a cycle.
  for (let link = error, depth = 0; link instanceof Error && depth < 10; link = link.cause, depth++) {
    // Prisma's errors are the only ones that can say MySQL is unavailable; @flash-sale/db is
    // imported for them only, as it loads Prisma, which queue commands never need.
    if (link.name.startsWith('PrismaClient')) {
      const { isDatabaseUnavailableError } = await import('@flash-sale/db');
      if (isDatabaseUnavailableError(link)) return `lost MySQL: ${reasonOf(link)}`;
    }
    if (isRedisUnavailableError(link)) return `lost Redis: ${reasonOf(link)}`;
    if (link instanceof ServiceUnavailableError) wrapped ??= link;
  }
  return wrapped ? `service unavailable: ${reasonOf(wrapped)}` : undefined;
}
