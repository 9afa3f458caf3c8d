import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { LAUNCHER_CHANNEL_VARIABLE } from '../src/shutdown.ts';

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
async function startProbe(source: string, options: { ipc?: boolean; env?: Record<string, string> } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    env: { ...process.env, LOG_FORMAT: 'json', ...options.env },
    stdio: options.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Its exit and the end of its output, not 'close': a ChildProcess whose IPC channel the parent
  // closed (disconnect()) never emits 'close'.
  const closed = Promise.all([once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>, once(child.stdout!, 'end'), once(child.stderr!, 'end')]).then(
    ([exit]) => exit,
  );
  const saidOnStderr = (word: string) => vi.waitFor(() => expect(stderr).toContain(word), { timeout: 20_000, interval: 10 });
  await saidOnStderr('ready');
  const lines = () => stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; signal?: string });
  const messages = () => lines().map((line) => line.msg);
  const logged = (message: string) => vi.waitFor(() => expect(messages()).toContain(message), { timeout: 5_000, interval: 10 });
  return { child, closed, lines, messages, logged, saidOnStderr };
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

  // `npm start`'s launcher gives its children an IPC channel and LAUNCHER_CHANNEL_VARIABLE
  // (apps/api/test/process.test.ts kills it); any other parent's channel means nothing.
  it.each([
    ["npm start's launcher", 'launcher gone', { [LAUNCHER_CHANNEL_VARIABLE]: '1' }],
    ['another parent (a process manager)', 'SIGTERM', {}],
  ])('a channel from %s closing: the drain is started by %s', async (_, startedBy, env) => {
    // The probe says on stderr when its channel closed; the shutdown's own listener, registered
    // first, has run by then.
    const probe = await startProbe(
      script.replace("await once(process.stdin, 'data');", '').replace("process.stderr.write('ready\\n');", "process.on('disconnect', () => process.stderr.write('disconnected\\n')); process.stderr.write('ready\\n');"),
      { ipc: true, env },
    );
    probe.child.disconnect();
    await probe.saidOnStderr('disconnected');
    // Only a drain that the closing did not start needs the signal; a drain it did start would
    // take this as a second signal and exit 1.
    if (startedBy === 'SIGTERM') probe.child.kill('SIGTERM');
    const [code] = await probe.closed;
    expect(code).toBe(0);
    expect(probe.lines().filter((line) => line.msg === 'shutting down')).toEqual([expect.objectContaining({ signal: startedBy })]);
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
