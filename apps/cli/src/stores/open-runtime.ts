import type { CheckoutRuntime } from '@flash-sale/checkout';
import type { Config } from '@flash-sale/config';
import { withDeadline } from '@flash-sale/queues';
import { probeDatabase } from './open-database.ts';
import { REACH_DEADLINE_MS, reachDatabase, reachRedis, unreachable } from './reachability.ts';

/**
 * The services' own runtime (MySQL, product cache, queues), for the audit and its repairs: a
 * repair must write through the product cache exactly as the api does. Both stores are checked
 * to answer before it is handed out.
 */
export async function openRuntime(config: Config, register: (close: () => Promise<void>) => void): Promise<CheckoutRuntime> {
  await probeDatabase(config.databaseUrl);
  const [{ createCheckoutRuntime }, { createLogger }] = await Promise.all([import('@flash-sale/checkout'), import('@flash-sale/logger')]);
  // Silent, and on stderr if ever turned up: the CLI reports what happened itself, and pino's
  // JSON on stdout would corrupt tables and --json output.
  const runtime = createCheckoutRuntime(config, createLogger('cli', 'silent', { destination: process.stderr }), { name: 'flash-sale-cli' });
  register(() => runtime.close());
  const queue = runtime.jobs.queue('hold-expiry');
  await Promise.all([
    reachDatabase(() => runtime.deps.db.$queryRaw`SELECT 1`, config.databaseUrl),
    reachRedis(runtime.redis, config.redisUrl).then(() =>
      // The queues have a connection of their own; the audit's job lookups need it up too.
      withDeadline(queue.waitUntilReady(), REACH_DEADLINE_MS, () => unreachable('Redis', config.redisUrl, 'the queue connection did not come up')),
    ),
  ]);
  return runtime;
}
