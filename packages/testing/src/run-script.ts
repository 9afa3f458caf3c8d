import { spawn } from 'node:child_process';
import { runnerArgs } from './runner-args.ts';

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an entry point (a `.ts` source through tsx, a compiled `.js` with plain node) as a real
 * process, stdin not a terminal
 * (like cron or CI), and collects its output. Asynchronous, so the test's own connections keep
 * working meanwhile.
 */
export function runScript(options: { entry: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string }): Promise<ScriptRun> {
  const child = spawn(process.execPath, [...runnerArgs(options.entry), options.entry, ...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}
