import { runScript, serviceEntry } from '@flash-sale/testing';
import { fileURLToPath } from 'node:url';
import type { Config } from '@flash-sale/config';
import { expect } from 'vitest';

/** The repository root: the CLI runs from there, as `npm run cli` does. */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const cliEntry = serviceEntry.cli;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment the CLI would get in production, pointed at the test's database and prefix. */
export function cliEnv(config: Config, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    REDIS_KEY_PREFIX: config.redisKeyPrefix,
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

/**
 * Runs the CLI as a real process with stdin not a terminal (like cron or CI) and collects its
 * output. Asynchronous, so the test's own connections keep working meanwhile.
 */
export function runCli(config: Config, args: string[], overrides: Record<string, string> = {}): Promise<CliResult> {
  return runScript({ entry: cliEntry, args, env: cliEnv(config, overrides), cwd: repoRoot });
}

/** Runs a `--json` command and parses stdout, failing with the CLI's stderr if it did not exit 0. */
export async function runCliJson<T = any>(config: Config, args: string[]): Promise<T> {
  const result = await runCli(config, [...args, '--json']);
  expectExitCode(result, 0);
  return JSON.parse(result.stdout) as T;
}

/** Asserts the exit code, showing the CLI's stderr when it is not the expected one. */
export function expectExitCode(result: CliResult, code: number): void {
  expect(result.status, `exit code (stderr: ${result.stderr.trim() || 'empty'})`).toBe(code);
}
