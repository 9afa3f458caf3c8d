import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createCheckoutDeps, type CheckoutDeps } from '@flash-sale/checkout';
import { loadConfig, type Config } from '@flash-sale/config';
import type { Db } from '@flash-sale/db';
import { createTestDatabase } from './test-database.ts';
import { createLogger, type Logger } from '@flash-sale/logger';
import { openStores } from '@flash-sale/process';
import { bullPrefix } from '@flash-sale/queues';
import { deleteRedisPrefix, testRedisUrl, uniqueRedisPrefix } from './redis.ts';
import { TestClock } from './test-clock.ts';

/** A freshly migrated database and a Redis key prefix of one's own, with what tests do on them. */
export interface TestStores {
  /** The configuration pointing at them, as a process would load it. */
  config: Config;
  /** The test database's own client, for arranging and asserting. */
  db: Db;
  /** A plain Redis connection for assertions on the cache and queues. */
  redis: Redis;
  clock: TestClock;
  /** Writes each line it logs, parsed, to `logs`. */
  logger: Logger;
  logs: Record<string, unknown>[];
  createProduct(fields?: { totalStock?: number; price?: string; code?: string }): Promise<number>;
  /** A BullMQ queue on the prefix, closed by close(). */
  queue(name: string): Queue;
  /** The domain on stores of its own, as a process composes it (opened on first call). */
  domain(): Promise<CheckoutDeps>;
  close(): Promise<void>;
}

/**
 * Stores for one test file. `env` overrides configuration as the environment would (DATABASE_URL
 * or REDIS_URL too, to point at a store that is down).
 */
export async function startTestStores(env: Record<string, string> = {}, options: { logName?: string } = {}): Promise<TestStores> {
  const database = await createTestDatabase();
  const prefix = uniqueRedisPrefix();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: prefix,
    // Test files run in parallel: each worker they start takes a free metrics port.
    WORKER_METRICS_PORT: '0',
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger(options.logName ?? 'test', config.logLevel, { destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
  const clock = new TestClock();
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  const queues: Queue[] = [];
  const closers: (() => Promise<void>)[] = [];
  let domain: Promise<CheckoutDeps> | undefined;
  let closing: Promise<void> | undefined;
  let productCount = 0;

  return {
    config,
    db: database.db,
    redis,
    clock,
    logger,
    logs,
    async createProduct(fields = {}) {
      productCount += 1;
      const totalStock = fields.totalStock ?? 10;
      const product = await database.db.product.create({
        data: {
          code: fields.code ?? `TEST-${productCount}`,
          name: `Test product ${productCount}`,
          price: fields.price ?? '10.00',
          totalStock,
          availableStock: totalStock,
        },
      });
      return product.id;
    },
    queue(name) {
      const queue = new Queue(name, { connection: redis, prefix: bullPrefix(prefix) });
      queues.push(queue);
      return queue;
    },
    domain() {
      domain ??= (async () => {
        const stores = openStores(config, logger, 'test');
        closers.push(() => stores.close());
        await stores.waitForStores();
        return createCheckoutDeps(stores, { settings: config, logger, clock });
      })();
      return domain;
    },
    async close() {
      // Each step runs whatever the one before did, so a failed close never leaves the database.
      closing ??= (async () => {
        for (const close of closers) await close().catch(() => undefined);
        await Promise.all(queues.map((queue) => queue.close().catch(() => undefined)));
        redis.disconnect();
        await deleteRedisPrefix(prefix);
        await database.drop();
      })();
      return closing;
    },
  };
}
