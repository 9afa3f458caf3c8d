/**
 * The CLI's exit codes. Scripts and alerting depend on them, so they are never reused for
 * anything else, and what each means is written once, in `flash-sale --help` (exitCodeHelp).
 */
export const ExitCode = { ok: 0, finding: 1, usage: 2, unreachable: 3, unexpected: 4 } as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const exitCodeHelp = `
Exit codes:
  0  done (for an action: it changed something)
  1  a finding: audit found problems, a job was not found or not in a state the action
     applies to (or is a job scheduler's next run), a bulk action matched nothing,
     the queue was already paused/resumed, a confirmation was declined (n, Ctrl-C, Ctrl-D)
  2  usage error: unknown command, queue, option or value, bad environment variable,
     or a destructive action (remove, clean, retry --all-failed) without --yes when
     stdin is not a terminal
  3  MySQL or Redis could not be reached, stopped answering, or stayed too busy
     (row locks that did not come free) to do the work
  4  unexpected failure (a bug); FLASH_SALE_CLI_DEBUG=1 prints its stack`;

/** An expected failure: its message is printed as one line and the process exits with its code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

export const finding = (message: string) => new CliError(ExitCode.finding, message);
export const usageError = (message: string) => new CliError(ExitCode.usage, message);
