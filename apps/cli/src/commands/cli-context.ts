import { ExitCode } from '../exit-codes.ts';
import type { Session } from '../stores/session.ts';

/** What every command gets: the stores, and where its exit code is recorded for main. */
export interface CliContext {
  session: Session;
  exitCode: ExitCode;
}

/**
 * Wraps a command handler for commander, which ignores an action's return value: the handler
 * returns its exit code (nothing means 0) and it is kept on the context. Failures are thrown
 * (CliError) and mapped by main.
 */
export function runs<A extends unknown[]>(context: CliContext, handler: (...args: A) => Promise<ExitCode | void>) {
  return async (...args: A): Promise<void> => {
    context.exitCode = (await handler(...args)) ?? ExitCode.ok;
  };
}
