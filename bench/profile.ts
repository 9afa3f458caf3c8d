// `npm run bench:profile`: the compiled api under wrk on one product, with V8's CPU profiler on,
// for finding what bounds a figure before optimising it. 127.0.0.1 only, bounded in time.
//   PROFILE_PATH=holds (default) | holds-keyed | read   what the clients do
//   PROFILE_CLIENTS=32   PROFILE_SECONDS=8
// Writes bench-results/api.cpuprofile (open it in Chrome DevTools or speedscope) and prints the
// self time by package and by function. The profiler costs throughput: compare figures from
// `npm run bench`, not from here.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, deleteRedisPrefix, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';
import { startService } from './support/processes.ts';
import { summarizeProfile } from './support/profile-summary.ts';
import { runWrk } from './support/wrk.ts';

const path = process.env.PROFILE_PATH ?? 'holds';
const connections = Number(process.env.PROFILE_CLIENTS ?? 32);
const seconds = Number(process.env.PROFILE_SECONDS ?? 8);
if (!['holds', 'holds-keyed', 'read'].includes(path)) throw new Error(`PROFILE_PATH must be holds, holds-keyed or read (is ${path})`);

const resultsDir = fileURLToPath(new URL('../bench-results/', import.meta.url));
const profileOut = `${resultsDir}api.cpuprofile`;
mkdirSync(resultsDir, { recursive: true });
execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../scripts/build.ts', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] });

const database = await createTestDatabase();
const prefix = uniqueRedisPrefix();
try {
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: prefix,
    HOLD_TTL_SECONDS: '3600',
    NODE_ENV: 'production',
    PAYMENT_WEBHOOK_SECRET: 'whsec_bench_0123456789abcdef',
    PROFILE_ENTRY: fileURLToPath(new URL('../dist/api.js', import.meta.url)),
    PROFILE_OUT: profileOut,
  };
  const api = await startService(fileURLToPath(new URL('./support/profiled-entry.mjs', import.meta.url)), env, { nodeArgs: ['--max-old-space-size=160'] });
  const product = await database.db.product.create({ data: { code: `PROFILE-${Date.now()}`, name: 'Profiled product', price: '10.00', totalStock: 100_000_000, availableStock: 100_000_000 } });
  const holds = { method: 'POST' as const, path: '/api/holds', body: JSON.stringify({ product_id: product.id, qty: 1 }) };
  const load = path === 'read' ? { method: 'GET' as const, path: `/api/products/${product.id}` } : { ...holds, keyed: path === 'holds-keyed' };
  // Warm, as the bench does: a fresh process's first seconds are not its steady state.
  await runWrk({ url: api.url, ...load, connections, seconds: 2 });
  const result = await runWrk({ url: api.url, ...load, connections, seconds });
  await api.stop();
  process.stdout.write(`${path}, ${connections} clients, ${seconds} s under the profiler: ${result.rate.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(1)} ms\n`);
  process.stdout.write(`${summarizeProfile(profileOut).join('\n')}\n${profileOut} written (start-up and warm-up included)\n`);
} finally {
  await deleteRedisPrefix(prefix);
  await database.drop();
}
