import type { ExitCode } from '../exit-codes.ts';
import type { Session } from '../stores/session.ts';

/**
 * What every command gets: the stores, and the exit code main ends with. A command that reports
 * a finding alongside its output (audit) sets it; every other outcome but success is thrown as a
 * CliError and mapped by main.
 */
export interface CliContext {
  session: Session;
  exitCode: ExitCode;
}
