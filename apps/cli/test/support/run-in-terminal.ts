import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Config } from '@flash-sale/config';
import { cliEntry, cliEnv, repoRoot } from './run-cli.ts';

export interface TerminalSession {
  /** Everything the CLI wrote to the terminal so far. */
  output(): string;
  /** Types on the keyboard; "\r" is Enter. */
  type(text: string): void;
  /** Types Ctrl-C, which the terminal turns into SIGINT for the CLI. */
  pressCtrlC(): void;
  exited: Promise<number | null>;
  kill(): void;
}

/**
 * Runs the CLI on a pseudo-terminal via util-linux `script`, so stdout is a TTY exactly as in
 * an operator's shell. `exec` makes the CLI the terminal's foreground process itself.
 */
export function runInTerminal(config: Config, args: string[]): TerminalSession {
  const command = ['exec', process.execPath, '--import', 'tsx', cliEntry, ...args].join(' ');
  const child: ChildProcessWithoutNullStreams = spawn('/usr/bin/script', ['-qfec', command, '/dev/null'], {
    cwd: repoRoot,
    env: { ...cliEnv(config), TERM: 'xterm', NO_COLOR: '' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    output: () => output,
    type: (text) => void child.stdin.write(text),
    pressCtrlC: () => void child.stdin.write('\x03'),
    exited,
    kill: () => void child.kill('SIGKILL'),
  };
}
