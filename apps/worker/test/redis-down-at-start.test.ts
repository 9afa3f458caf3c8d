import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CuttableProxy, serviceEntry, spawnService, takenPort, type ServiceProcess } from '@flash-sale/testing';
import { envOf, request, startApiStack, type ApiStack } from './support/stack.ts';

// A worker started while Redis is down (a fresh deploy during a Redis restart): it must not wait
// for Redis before doing what needs only MySQL, nor stay invisible to its orchestrator.

let t: ApiStack;
beforeAll(async () => {
  t = await startApiStack({ SWEEP_INTERVAL_SECONDS: '3600' });
});
afterAll(async () => t?.close());

describe('a worker started while Redis is down', () => {
  it('answers its liveness check and expires due holds by its sweeper, then connects its queues once Redis is back', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const hold = await request(t.url, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    // Due a minute ago, in MySQL: only the sweeper can see it while Redis is away.
    await t.db.hold.update({ where: { id: hold.body.hold_id }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    const { proxy, url: redisDown } = await CuttableProxy.inFrontOf(t.config.redisUrl);
    await proxy.down();
    const worker = await spawnService({
      entry: serviceEntry.worker,
      env: envOf(t.config, { REDIS_URL: redisDown, SWEEP_INTERVAL_SECONDS: '1' }),
      ready: (line) => String(line.msg).startsWith('worker started'),
    });
    try {
      const port = worker.lines.find((line) => String(line.msg).startsWith('worker started'))!.metricsPort;
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
      await vi.waitFor(async () => expect((await t.db.hold.findUniqueOrThrow({ where: { id: hold.body.hold_id } })).status).toBe('expired'), {
        timeout: 15_000,
        interval: 100,
      });
      expect((await t.db.product.findUniqueOrThrow({ where: { id: productId } })).availableStock).toBe(5);
      expect(worker.lines.some((line) => line.msg === 'worker ready')).toBe(false);

      await proxy.up();
      await vi.waitFor(() => expect(worker.lines.some((line) => line.msg === 'worker ready')).toBe(true), { timeout: 20_000, interval: 100 });
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await proxy.down();
    }
  }, 60_000);
});

/** SIGTERM: exit 0 with `shut down cleanly` last, within seconds (not the 15 s deadline). */
async function expectCleanStopOnSigterm(worker: ServiceProcess): Promise<void> {
  const signalledAt = performance.now();
  worker.child.kill('SIGTERM');
  const [code] = await worker.exited;
  expect({ code, last: worker.lines.at(-1)?.msg }).toEqual({ code: 0, last: 'shut down cleanly' });
  expect(performance.now() - signalledAt).toBeLessThan(5_000);
}

describe('a worker whose Redis went away after it was ready', () => {
  it('stops cleanly on SIGTERM, without waiting for Redis', async () => {
    const { proxy, url: viaProxy } = await CuttableProxy.inFrontOf(t.config.redisUrl);
    const worker = await spawnService({ entry: serviceEntry.worker, env: envOf(t.config, { REDIS_URL: viaProxy }), ready: (line) => line.msg === 'worker ready' });
    try {
      await proxy.down();
      await vi.waitFor(() => expect(worker.lines.some((line) => line.msg === 'redis connection lost; retrying')).toBe(true), { timeout: 10_000, interval: 50 });
      await expectCleanStopOnSigterm(worker);
    } finally {
      await proxy.down();
    }
  });
});

describe('a worker whose Redis never came up', () => {
  it('stops cleanly on SIGTERM, at once', async () => {
    const { proxy, url: redisDown } = await CuttableProxy.inFrontOf(t.config.redisUrl);
    await proxy.down();
    const worker = await spawnService({
      entry: serviceEntry.worker,
      env: envOf(t.config, { REDIS_URL: redisDown }),
      ready: (line) => String(line.msg).startsWith('worker started'),
    });
    try {
      await expectCleanStopOnSigterm(worker);
    } finally {
      await proxy.down();
    }
  });
});

describe('the metrics server on HOST, as the api', () => {
  it('refuses an address that is not the host\'s, in one line naming both variables', async () => {
    const worker = await spawnService({ entry: serviceEntry.worker, env: envOf(t.config, { HOST: '192.0.2.1', WORKER_METRICS_PORT: '0' }) });
    const [code] = await worker.exited;
    expect(code).toBe(1);
    const fatal = worker.lines.filter((line) => line.level === 'fatal');
    expect(fatal.map((line) => [line.msg, line.err])).toEqual([['HOST 192.0.2.1 / WORKER_METRICS_PORT 0 is not an address of this host.', undefined]]);
  });
});

describe('a second worker on a host, with the same metrics port', () => {
  it('refuses to start, saying why, before it takes any job', async () => {
    const { port, release } = await takenPort();
    try {
      const worker = await spawnService({ entry: serviceEntry.worker, env: envOf(t.config, { WORKER_METRICS_PORT: String(port) }) });
      const [code] = await worker.exited;
      expect(code).toBe(1);
      // One fatal line whose message says it, with no stack to read through.
      const fatal = worker.lines.filter((line) => line.level === 'fatal');
      expect(fatal.map((line) => [String(line.msg).startsWith(`WORKER_METRICS_PORT ${port} is taken`), line.err])).toEqual([[true, undefined]]);
      expect(worker.lines.some((line) => String(line.msg).startsWith('worker started'))).toBe(false);
    } finally {
      await release();
    }
  });
});
