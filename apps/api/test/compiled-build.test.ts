import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabases, runScript, spawnService, TEST_DATABASE_PREFIX, testDatabaseUrl, uniqueName } from '@flash-sale/testing';
import { request, startTestApp, type TestApp } from './support/test-app.ts';

// Production runs the compiled JavaScript of `npm run build` with plain node. Built here into a
// folder of its own (inside the repository, like dist/, so node_modules and prisma/migrations are
// found the same way), then run: migrations on a new database, the api serving a hold, the worker
// starting, each stopping cleanly on SIGTERM.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outdir = `${root}node_modules/.cache/flash-sale-build-test-${randomBytes(4).toString('hex')}`;
let t: TestApp;
const extraDatabases: string[] = [];

beforeAll(async () => {
  const built = await runScript({ entry: `${root}scripts/build.ts`, args: ['--outdir', outdir], env: process.env, cwd: root });
  expect(built.stderr).toBe('');
  expect(built.status).toBe(0);
  t = await startTestApp();
}, 60_000);
afterAll(async () => {
  rmSync(outdir, { recursive: true, force: true });
  await dropDatabases(extraDatabases);
  await t?.close();
});

const envOf = (extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  PAYMENT_WEBHOOK_SECRET: 'whsec_compiled_build_test_0123',
  DATABASE_URL: t.config.databaseUrl,
  REDIS_URL: t.config.redisUrl,
  REDIS_KEY_PREFIX: t.config.redisKeyPrefix,
  HOST: '127.0.0.1',
  PORT: '0',
  WORKER_METRICS_PORT: '0',
  ...extra,
});

describe('npm run build', () => {
  it('writes one JavaScript entry per process, with no TypeScript left to load at run time', () => {
    const files = readdirSync(outdir);
    for (const name of ['api', 'worker', 'cli', 'db-migrate', 'db-seed', 'start']) expect(files).toContain(`${name}.js`);
    const code = readFileSync(`${outdir}/api.js`, 'utf8');
    expect(code).not.toMatch(/from ["'][^"']+\.ts["']/);
    expect(code).not.toMatch(/["']tsx["']/);
  });

  it('migrates a new database from the compiled runner', async () => {
    const name = uniqueName(TEST_DATABASE_PREFIX);
    extraDatabases.push(name);
    const run = await runScript({ entry: `${outdir}/db-migrate.js`, args: [], env: { ...process.env, DATABASE_URL: testDatabaseUrl(name) }, cwd: root });
    expect(run.status).toBe(0);
    const tables = await t.db.$queryRaw<{ name: string }[]>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${name}`;
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['products', 'holds', 'orders', 'payment_events', 'idempotency_keys']));
  }, 30_000);

  it('serves a hold from the compiled api, and both processes stop cleanly on SIGTERM', async () => {
    const productId = await t.createProduct({ totalStock: 5 });
    const api = await spawnService({ entry: `${outdir}/api.js`, env: envOf(), ready: (line) => String(line.msg).startsWith('Server listening') });
    const worker = await spawnService({ entry: `${outdir}/worker.js`, env: envOf(), ready: (line) => line.msg === 'worker ready' });
    const listening = api.lines.find((line) => String(line.msg).startsWith('Server listening'));
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(String(listening?.msg))?.[0];
    expect(url).toBeDefined();

    const created = await request(url!, 'POST', '/api/holds', { body: { product_id: productId, qty: 2 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ product_id: productId, qty: 2, status: 'active' });
    expect((await request(url!, 'GET', `/api/products/${productId}`)).body).toMatchObject({ available_stock: 3 });

    for (const service of [api, worker]) service.child.kill('SIGTERM');
    for (const service of [api, worker]) {
      expect((await service.exited)[0]).toBe(0);
      expect(service.lines.at(-1)?.msg).toBe('shut down cleanly');
    }
  }, 60_000);
});
