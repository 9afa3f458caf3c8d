import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const shutdownModule = fileURLToPath(new URL('../src/shutdown.ts', import.meta.url));
const loggerModule = fileURLToPath(new URL('../../logger/src/index.ts', import.meta.url));

// A process whose close() logs a line while Node's thread pool is busy, so that pino's
// asynchronous write of it is still under way when close() resolves: the case where exiting
// with process.exit() right after "shut down cleanly" printed the two lines the wrong way round.
const script = `
  import { pbkdf2 } from 'node:crypto';
  import { once } from 'node:events';
  import { createLogger } from ${JSON.stringify(loggerModule)};
  import { installShutdown } from ${JSON.stringify(shutdownModule)};
  const logger = createLogger('probe', 'info', { format: 'json' });
  installShutdown({
    logger,
    close: async () => {
      // The test says "go" once it has read "shutting down": that write is done. Then the pool is
      // taken, and this line's write waits behind it.
      await once(process.stdin, 'data');
      for (let thread = 0; thread < 4; thread += 1) pbkdf2('busy', 'salt', 300000, 32, 'sha256', () => undefined);
      logger.info('closing the stores');
    },
  });
  process.stderr.write('ready\\n');
  // Keeps the event loop alive, as a forgotten handle would: the backstop ends the process.
  setInterval(() => undefined, 1000);`;

// A process whose close() never ends: the deadline or a second signal has to end it.
const stuckScript = `
  import { createLogger } from ${JSON.stringify(loggerModule)};
  import { installShutdown } from ${JSON.stringify(shutdownModule)};
  const logger = createLogger('probe', 'info', { format: 'json' });
  installShutdown({ logger, close: () => new Promise(() => undefined) });
  process.stderr.write('ready\\n');
  setInterval(() => undefined, 1000);`;

/** Runs `source`; resolves once it is ready, with its stdout's JSON lines so far and its end. */
async function startProbe(source: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    env: { ...process.env, LOG_FORMAT: 'json' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise<void>((resolve) => child.stderr!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
  const messages = () => stdout.trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { msg: string }).msg);
  const logged = (message: string) => vi.waitFor(() => expect(messages()).toContain(message), { timeout: 5_000, interval: 10 });
  return { child, closed, messages, logged };
}

describe('graceful shutdown', () => {
  it('ends with "shut down cleanly" as the last line and exit code 0, its lines in order', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, UV_THREADPOOL_SIZE: '4', LOG_FORMAT: 'json' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('"shutting down"') && !child.stdin!.writableEnded) child.stdin!.end('go\n');
    });
    const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    await new Promise<void>((resolve) => child.stderr!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
    child.kill('SIGTERM');
    const [code] = await closed;
    const messages = stdout.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(code).toBe(0);
    expect(messages).toEqual(['shutting down', 'closing the stores', 'shut down cleanly']);
  });

  it('exits at once, keeping code 0, on a signal that arrives after everything closed', async () => {
    // The loop is kept alive (a forgotten handle), so without the second signal the process
    // would wait for its 2 s backstop.
    const probe = await startProbe(script.replace("await once(process.stdin, 'data');", ''));
    probe.child.kill('SIGTERM');
    await probe.logged('shut down cleanly');
    const signalledAt = performance.now();
    probe.child.kill('SIGTERM');
    const [code] = await probe.closed;
    expect(code).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(1_000);
    expect(probe.messages().at(-1)).toBe('shut down cleanly');
  });

  it('exits at once with code 1 on a second signal while closing, and says so', async () => {
    const probe = await startProbe(stuckScript);
    probe.child.kill('SIGTERM');
    await probe.logged('shutting down');
    probe.child.kill('SIGINT');
    const [code] = await probe.closed;
    expect(code).toBe(1);
    expect(probe.messages()).toEqual(['shutting down', 'second signal: exiting now']);
  });
});
