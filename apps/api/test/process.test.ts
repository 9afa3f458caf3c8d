import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { holdRowLock, serviceEntry, spawnService, takenPort, testDatabaseUrl } from '@flash-sale/testing';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// The api as a real process: refusing a bad configuration at start, and a graceful SIGTERM.

const apiMain = serviceEntry.api;
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const envOfTestApp = (extra: Record<string, string> = {}) => ({
  NODE_ENV: 'test',
  DATABASE_URL: t.config.databaseUrl,
  REDIS_URL: t.config.redisUrl,
  REDIS_KEY_PREFIX: t.config.redisKeyPrefix,
  HOST: '127.0.0.1',
  PORT: '0',
  ...extra,
});

describe('api start-up', () => {
  it('refuses to start in production without PAYMENT_WEBHOOK_SECRET, with one line saying so', async () => {
    const api = await spawnService({ entry: apiMain, env: envOfTestApp({ NODE_ENV: 'production', PAYMENT_WEBHOOK_SECRET: '' }) });
    const [code] = await api.exited;
    expect(code).toBe(1);
    expect(api.lines).toHaveLength(1);
    expect(api.lines[0]).toMatchObject({ level: 'fatal', msg: expect.stringContaining('PAYMENT_WEBHOOK_SECRET is required when NODE_ENV=production') });
  });

  it('refuses a bad variable with one line naming it', async () => {
    const api = await spawnService({ entry: apiMain, env: envOfTestApp({ HOLD_TTL_SECONDS: '0' }) });
    expect((await api.exited)[0]).toBe(1);
    expect(api.lines.map((line) => line.msg)).toEqual([expect.stringMatching(/^Invalid configuration: HOLD_TTL_SECONDS/)]);
  });
});

describe('api start-up on a database that does not exist', () => {
  it('says so, not only that MySQL is not answering', async () => {
    const api = await spawnService({
      entry: apiMain,
      env: envOfTestApp({ DATABASE_URL: testDatabaseUrl('fs_api_no_such_database') }),
      ready: (line) => String(line.msg).startsWith('MySQL refuses this process'),
    });
    try {
      const said = api.lines.find((line) => String(line.msg).startsWith('MySQL refuses this process'))!;
      expect(said).toMatchObject({ level: 'error', msg: expect.stringContaining("database 'fs_api_no_such_database' does not exist") });
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });
});

describe('api start-up on a port that is taken', () => {
  it('exits 1 with one fatal line naming HOST and PORT, no stack', async () => {
    const { port, release } = await takenPort();
    try {
      const api = await spawnService({ entry: apiMain, env: envOfTestApp({ PORT: String(port) }) });
      expect((await api.exited)[0]).toBe(1);
      const fatal = api.lines.filter((line) => line.level === 'fatal');
      expect(fatal.map((line) => [line.msg, line.err])).toEqual([[`HOST 127.0.0.1 / PORT ${port} is taken (another process listens there).`, undefined]]);
    } finally {
      await release();
    }
  });
});

describe('api graceful shutdown', () => {
  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    // At debug: each request's arrival is logged ("incoming request"), which this test waits on.
    const api = await spawnService({ entry: apiMain, env: envOfTestApp({ LOG_LEVEL: 'debug' }), ready: (line) => String(line.msg).startsWith('Server listening') });
    const url = String(api.lines.find((line) => String(line.msg).startsWith('Server listening'))!.msg).replace('Server listening at ', '');
    const productId = await t.createProduct({ totalStock: 3 });

    // Hold the product's row lock so the hold request is inside its transaction at SIGTERM.
    const lock = await holdRowLock(t.db, 'products', productId);
    const inFlight = request(url, 'POST', '/api/holds', { body: { product_id: productId, qty: 1 } });
    try {
      await vi.waitFor(() => expect(api.lines.some((line) => line.msg === 'incoming request')).toBe(true), { timeout: 5_000, interval: 20 });
      api.child.kill('SIGTERM');
      await vi.waitFor(() => expect(api.lines.some((line) => line.msg === 'shutting down')).toBe(true), { timeout: 5_000, interval: 20 });
      expect(api.child.exitCode).toBeNull();
    } finally {
      // Released on failure too: the lock's transaction would otherwise block dropping the database.
      await lock.release();
    }

    expect((await inFlight).status).toBe(201);
    expect((await api.exited)[0]).toBe(0);
    expect(api.lines.at(-1)?.msg).toBe('shut down cleanly');
    expect((await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock).toBe(2);
  });
});

describe('npm start: the api and a worker side by side', () => {
  const launcher = fileURLToPath(new URL('../../../packages/process/src/run-together.ts', import.meta.url));
  // The entry points `npm start` passes it.
  const entries = [serviceEntry.api, serviceEntry.worker];

  /** The launcher in a process group of its own, as a terminal's foreground job is; its JSON log lines, as they come. */
  function startLauncher() {
    const child = spawn(process.execPath, ['--import', 'tsx', launcher, ...entries], {
      env: { ...process.env, ...envOfTestApp({ WORKER_METRICS_PORT: '0', SWEEP_INTERVAL_SECONDS: '3600', LOG_LEVEL: 'info', LOG_FORMAT: 'json' }) },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    // 'close', not 'exit': it comes once every process holding the pipe (the launcher and both
    // children) has exited, so no last line is missed. Bounded below the test's own timeout, so
    // that a failure still reaches the `finally` that kills what is left.
    let closedAt = Number.NaN;
    const closed = Promise.race([
      (once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>).finally(() => (closedAt = Date.now())),
      sleep(40_000, undefined, { ref: false }).then(() => Promise.reject(new Error('the launcher and its children were not all gone within 40 s'))),
    ]);
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const text of complete) if (text.trim()) lines.push(JSON.parse(text));
    });
    // The children's pids, read from the launcher's entry in /proc (Linux): for the cleanup, which
    // must reach a child that never logged a line.
    const children = new Set<number>();
    const childrenSpawned = () =>
      vi.waitFor(
        () => {
          const pids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
          expect(pids).toHaveLength(2);
          for (const pid of pids) children.add(Number(pid));
        },
        { timeout: 10_000, interval: 5 },
      );
    const ready = async () => {
      await childrenSpawned();
      await vi.waitFor(
        () => {
          expect(lines.some((line) => line.name === 'api' && String(line.msg).startsWith('Server listening'))).toBe(true);
          expect(lines.some((line) => line.name === 'worker' && line.msg === 'worker ready')).toBe(true);
        },
        { timeout: 20_000, interval: 50 },
      );
    };
    /** Each child drained once, and ended then: not by the 2 s backstop that ends a process some handle keeps alive. */
    const drainedOnce = () => {
      for (const name of ['api', 'worker']) {
        const own = lines.filter((line) => line.name === name);
        const shuttingDown = own.findIndex((line) => line.msg === 'shutting down');
        expect(own.filter((line) => line.msg === 'shutting down')).toHaveLength(1);
        expect(own.some((line) => line.msg === 'second signal: exiting now')).toBe(false);
        // A drain that began while the api was still starting: it does not start listening after.
        expect(own.slice(shuttingDown).some((line) => String(line.msg).startsWith('Server listening'))).toBe(false);
        expect(own.at(-1)?.msg).toBe('shut down cleanly');
        expect(closedAt - Date.parse(String(own.at(-1)?.time))).toBeLessThan(1_500);
      }
    };
    // The children run in process groups of their own: a test that fails must not leave them.
    // Only processes still running one of the entry points are killed (a pid may be reused).
    const killAll = () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      for (const pid of new Set([...children, ...lines.map((line) => line.pid)])) {
        try {
          if (typeof pid === 'number' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('main.ts')) process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone: the usual case.
        }
      }
    };
    return { child, closed, lines, ready, childrenSpawned, drainedOnce, killAll };
  }
  type Launched = ReturnType<typeof startLauncher>;

  it.each([
    ['Ctrl-C', 'SIGINT'],
    ['closing the terminal', 'SIGHUP'],
  ] as const)("%s (%s to the terminal's whole process group) drains both once, and exits 0", async (_, signal) => {
    const launched = startLauncher();
    try {
      await launched.ready();
      // The signal reaches every process in the launcher's group, as Ctrl-C does.
      process.kill(-launched.child.pid!, signal);
      const [code] = await launched.closed;
      expect(code).toBe(0);
      launched.drainedOnce();
    } finally {
      launched.killAll();
    }
  }, 60_000);

  it.each([
    ['once both are ready', (launched: Launched) => launched.ready()],
    // Before either has loaded its code: the channel is closed before anything in them listens.
    ['as soon as both children exist, while they are still starting', (launched: Launched) => launched.childrenSpawned()],
  ])('the launcher SIGKILLed %s (nothing passed on): the api and the worker drain once and exit by themselves', async (_, killWhen) => {
    const launched = startLauncher();
    try {
      await killWhen(launched);
      process.kill(launched.child.pid!, 'SIGKILL');
      // Only comes once both children have exited too: they hold the same stdout pipe.
      await launched.closed;
      launched.drainedOnce();
      for (const name of ['api', 'worker']) {
        expect(launched.lines.find((line) => line.name === name && line.msg === 'shutting down')?.signal).toBe('launcher gone');
      }
    } finally {
      launched.killAll();
    }
  }, 60_000);
});
