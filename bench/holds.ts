// `npm run bench:holds [-- --requests 3000 --concurrency 32 --stock N --profile DIR]`: hold throughput and
// latency on one hot product (with --stock below --requests: a sell-out, mostly refusals), through
// real HTTP on 127.0.0.1 to an api process of its own (as deployed), against a throwaway database
// and Redis prefix. Bounded in requests and in time (60 s).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '@flash-sale/db/testing';
import { deleteRedisPrefix, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '32' }, stock: { type: 'string' }, profile: { type: 'string' } } });
const requests = Math.min(Number(values.requests), 20_000);
const concurrency = Math.min(Number(values.concurrency), 256);
const stock = values.stock === undefined ? requests : Number(values.stock);
const deadline = Date.now() + 60_000;

const database = await createTestDatabase();
const prefix = uniqueRedisPrefix();
const port = 30_000 + Math.floor(Math.random() * 20_000);
const url = `http://127.0.0.1:${port}`;
// --profile DIR writes a V8 CPU profile of the api process there.
const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
const api = spawn(process.execPath, [...profile, '--import', 'tsx', 'apps/api/src/main.ts'], {
  env: { ...process.env, DATABASE_URL: database.url, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
for (let attempt = 0; ; attempt += 1) {
  if ((await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)) === true) break;
  if (attempt > 100) throw new Error('the api did not become ready');
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const product = await database.db.product.create({
  data: { code: 'BENCH', name: 'Bench', price: '1.00', totalStock: stock, availableStock: stock },
});

const latencies: number[] = [];
const statuses = new Map<number, number>();
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < requests && Date.now() < deadline) {
      next += 1;
      const t0 = performance.now();
      const response = await fetch(`${url}/api/holds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ product_id: product.id, qty: 1 }),
      });
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
const left = (await database.db.product.findUniqueOrThrow({ where: { id: product.id } })).availableStock;

process.stdout.write(
  `${latencies.length} holds, concurrency ${concurrency}: ${(latencies.length / seconds).toFixed(0)} holds/s, ` +
    `p50 ${pct(50)} ms, p99 ${pct(99)} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
    `stock left ${left} (expected ${stock - (statuses.get(201) ?? 0)})\n`,
);
api.kill('SIGTERM');
await once(api, 'exit');
await deleteRedisPrefix(prefix);
await database.drop();
