import { createInterface } from 'node:readline/promises';
import { finding, usageError } from '../exit-codes.ts';

/**
 * Destructive actions are confirmed by a person. Off a terminal (cron, CI, a pipe) nobody can
 * answer, so without --yes they refuse before touching anything. Checked before connecting.
 */
export function requireConfirmable(yes: boolean | undefined, action: string): void {
  if (!yes && !process.stdin.isTTY) {
    throw usageError(`${action} needs --yes when stdin is not a terminal; nothing was changed.`);
  }
}

/**
 * Asks on the terminal (prompt on stderr, so stdout stays the report); throws when declined.
 * Ctrl-C or Ctrl-D instead of an answer is a no as well (readline rejects the question with an
 * AbortError for either), never a failure.
 */
export async function confirmOrAbort(yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  let answer: string;
  try {
    answer = await prompt.question(`${question} [y/N] `);
  } catch (error) {
    if (!isAbortError(error)) throw error;
    // The cursor is still on the prompt's line.
    process.stderr.write('\n');
    answer = '';
  } finally {
    prompt.close();
  }
  if (!/^y(es)?$/i.test(answer.trim())) throw finding('not confirmed; nothing was changed.');
}

const isAbortError = (error: unknown) => error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR');
