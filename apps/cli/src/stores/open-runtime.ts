import type { CheckoutDeps } from '@flash-sale/checkout';
import type { Config } from '@flash-sale/config';
import type { Stores } from '@flash-sale/process';
import { withDeadline } from '@flash-sale/queues';
import { probeDatabase } from './open-database.ts';
import { REACH_DEADLINE_MS, reachDatabase, reachRedis, unreachable } from './reachability.ts';

/** The services' stores and the domain on them, as the api and worker compose them. */
export type CliRuntime = Stores & { deps: CheckoutDeps };

/**
 * The domain on the services' own stores (MySQL, product cache, queues), for the audit and its
 * repairs: a repair must write through the product cache exactly as the api does. Both stores
 * are checked to answer before it is handed out.
 */
export async function openRuntime(config: Config, register: (close: () => Promise<void>) => void): Promise<CliRuntime> {
  await probeDatabase(config.databaseUrl);
  const [{ createCheckoutDeps }, { pingDatabase }, { createLogger }, { openStores }] = await Promise.all([
    import('@flash-sale/checkout'),
    import('@flash-sale/db'),
    import('@flash-sale/logger'),
    import('@flash-sale/process'),
  ]);
  // Silent, and on stderr if ever turned up: the CLI reports what happened itself, and pino's
  // JSON on stdout would corrupt tables and --json output.
  const logger = createLogger('cli', 'silent', { destination: process.stderr });
  const stores = openStores(config, logger, 'flash-sale-cli');
  register(() => stores.close());
  const queue = stores.jobs.queue('hold-expiry');
  await Promise.all([
    reachDatabase(() => pingDatabase(stores.db), config.databaseUrl),
    reachRedis(stores.redis, config.redisUrl).then(() =>
      // The queues have a connection of their own; the audit's job lookups need it up too.
      withDeadline(queue.waitUntilReady(), REACH_DEADLINE_MS, () => unreachable('Redis', config.redisUrl, 'the queue connection did not come up')),
    ),
  ]);
  return { ...stores, deps: createCheckoutDeps(stores, { settings: config, logger }) };
}
