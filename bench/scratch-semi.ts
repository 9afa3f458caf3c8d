// scratch: interleaved A/B of V8 young-generation sizes. Deleted after use.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@flash-sale/db/testing';
import { deleteRedisPrefix, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';
import { startService, type Service } from './support/processes.ts';
import { runWrk } from './support/wrk.ts';

const variants = (process.env.VARIANTS ?? '0,32,64').split(',').map(Number);
const rounds = Number(process.env.ROUNDS ?? 4);
const conns = Number(process.env.CONNS ?? 32);
execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../scripts/build.ts', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] });
const apiMain = fileURLToPath(new URL('../dist/api.js', import.meta.url));
const database = await createTestDatabase();
const prefix = uniqueRedisPrefix();
const env = { DATABASE_URL: database.url, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix, HOLD_TTL_SECONDS: '3600', NODE_ENV: 'production', PAYMENT_WEBHOOK_SECRET: 'whsec_bench_0123456789abcdef' };
const services: Service[] = [];
try {
  for (const semi of variants) services.push(await startService(apiMain, env, { nodeArgs: ['--max-old-space-size=160', ...(semi ? [`--max-semi-space-size=${semi}`] : [])] }));
  const p = await database.db.product.create({ data: { code: `S-${Date.now()}`, name: 'x', price: '10.00', totalStock: 100_000_000, availableStock: 100_000_000 } });
  const body = JSON.stringify({ product_id: p.id, qty: 1 });
  for (const s of services) await runWrk({ url: s.url, method: 'POST', path: '/api/holds', body, connections: 32, seconds: 3 });
  const res = new Map<number, string[]>();
  const rss = new Map<number, number>();
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...services.keys()].reverse() : [...services.keys()];
    for (const i of order) {
      const s = services[i]!;
      let max = 0;
      const t = setInterval(() => (max = Math.max(max, s.rssMb())), 200);
      const w = await runWrk({ url: s.url, method: 'POST', path: '/api/holds', body, connections: conns, seconds: 5 });
      clearInterval(t);
      rss.set(variants[i]!, Math.max(rss.get(variants[i]!) ?? 0, max));
      const line = `${w.rate.toFixed(0)}/s p99 ${w.p99Ms.toFixed(1)}`;
      res.set(variants[i]!, [...(res.get(variants[i]!) ?? []), line]);
      process.stderr.write(`round ${r} semi ${variants[i]}: ${line} rss ${max.toFixed(0)}\n`);
    }
  }
  for (const [k, v] of res) console.log(`semi ${k}: ${v.join(' | ')}  max rss ${rss.get(k)!.toFixed(0)} MB`);
} finally {
  for (const s of services) await s.stop();
  await deleteRedisPrefix(prefix);
  await database.drop();
}
