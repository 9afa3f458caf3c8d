import { CommanderError } from 'commander';
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
  for (const link of causeChain(error)) {
    if (isPrismaError(link)) {
      // Imported here only: @flash-sale/db loads Prisma, which queue commands never need.
      const { isDatabaseUnavailableError } = await import('@flash-sale/db');
      if (isDatabaseUnavailableError(link)) return `lost MySQL: ${reasonOf(link)}`;
    }
    if (isRedisUnavailableError(link)) return `lost Redis: ${reasonOf(link)}`;
    if (link instanceof ServiceUnavailableError) wrapped ??= link;
  }
  return wrapped ? `service unavailable: ${reasonOf(wrapped)}` : undefined;
}

/** The error and its causes, outermost first (a cycle ends the walk). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let link = error; link !== undefined && link !== null && !chain.includes(link); link = (link as { cause?: unknown }).cause) {
    chain.push(link);
    if (typeof link !== 'object') break;
  }
  return chain;
}

/** Prisma's errors, the only ones that can say MySQL is unavailable (checked by @flash-sale/db). */
function isPrismaError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith('PrismaClient');
}
