import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '@flash-sale/config';
import type { Db } from '@flash-sale/db';
import { createTestDatabase, type TestDatabase } from '@flash-sale/db/testing';
import { createLogger } from '@flash-sale/logger';
import { bullPrefix } from '@flash-sale/queues';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApiServices, type ApiServices } from '../../src/api-services.ts';
import { buildApp } from '../../src/app.ts';
import { deleteRedisPrefix, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';
import { TestClock } from './test-clock.ts';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  config: Config;
  clock: TestClock;
  services: ApiServices;
  /** Every log line the app wrote, parsed (captured at info level and above). */
  logs: Record<string, unknown>[];
  /** A plain Redis connection for assertions on the cache and queues. */
  redis: Redis;
  /** Base URL of the app listening on 127.0.0.1, for tests that need real parallel requests. */
  url: string;
  createProduct(fields?: { totalStock?: number; price?: string; code?: string }): Promise<number>;
  queue(name: string): Queue;
  close(): Promise<void>;
}

/**
 * The api on its own freshly migrated database and its own Redis key prefix, listening on a
 * random port. `env` overrides configuration as the environment would (DATABASE_URL or
 * REDIS_URL too, to point the app at a store that is down).
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database: TestDatabase = await createTestDatabase();
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
  const logger = createLogger('api-test', config.logLevel, { destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
  const clock = new TestClock();
  const services = createApiServices(config, logger, { clock });
  await services.waitForStores();
  const app = await buildApp({ config, logger, services });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  const queues: Queue[] = [];
  let productCount = 0;

  return {
    app,
    db: database.db,
    config,
    clock,
    services,
    logs,
    redis,
    url,
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
    async close() {
      await app.close();
      await Promise.all(queues.map((queue) => queue.close()));
      redis.disconnect();
      await deleteRedisPrefix(prefix);
      await database.drop();
    },
  };
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A real HTTP request to the test app. */
export async function request<T = any>(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}
