import { loadConfig } from '@flash-sale/config';
import { ServiceUnavailableError } from '@flash-sale/errors';
import { testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { finding } from '../src/exit-codes.ts';
import { reportFailure } from '../src/report-failure.ts';
import { expectExitCode, runCli } from './support/run-cli.ts';

// How a failure maps to an exit code and one line on stderr.

afterEach(() => {
  vi.restoreAllMocks();
});

async function report(error: unknown): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const code = await reportFailure(error);
  vi.restoreAllMocks();
  return { code, stderr };
}

/** What Prisma throws when it cannot reach MySQL (matched by name, as @flash-sale/db does). */
function prismaCannotConnect(): Error {
  const error = new Error("Can't reach database server at 127.0.0.1:3306");
  error.name = 'PrismaClientInitializationError';
  return error;
}

describe('reportFailure', () => {
  it('maps a ServiceUnavailableError from runTransaction to exit 3, naming the lost store from its cause', async () => {
    const lost = await report(new ServiceUnavailableError('MySQL is unavailable.', { cause: prismaCannotConnect() }));
    expect(lost).toEqual({ code: 3, stderr: "error: lost MySQL: Can't reach database server at 127.0.0.1:3306\n" });

    const contended = await report(new ServiceUnavailableError('Lock contention did not resolve; retry shortly.', { cause: new Error('Deadlock found') }));
    expect(contended).toEqual({ code: 3, stderr: 'error: service unavailable: Lock contention did not resolve; retry shortly.\n' });
  });

  it('walks the cause chain for a store that went away', async () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const wrapped = new Error('audit failed', { cause: new Error('lookup failed', { cause: reset }) });
    expect(await report(wrapped)).toEqual({ code: 3, stderr: 'error: lost Redis: read ECONNRESET\n' });
  });

  it('exits 4 for an unexpected failure, 1 for a finding', async () => {
    expect(await report(new TypeError("Cannot read properties of undefined (reading 'id')"))).toEqual({
      code: 4,
      stderr: "error: unexpected failure: Cannot read properties of undefined (reading 'id')\n",
    });
    expect(await report(finding('nothing to retry.'))).toEqual({ code: 1, stderr: 'error: nothing to retry.\n' });
  });
});

describe('an error thrown outside the command', () => {
  it('is an unexpected failure (exit 4) even with a connection error code: it may be a reset stdout, not a store', async () => {
    const config = loadConfig({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniqueRedisPrefix() });
    const preload = fileURLToPath(new URL('./support/stray-reset.mjs', import.meta.url));
    const result = await runCli(config, ['queues'], { NODE_OPTIONS: `--import=${preload}` });
    expectExitCode(result, 4);
    expect(result.stderr).toBe('error: unexpected failure: write ECONNRESET\n');
  });
});
