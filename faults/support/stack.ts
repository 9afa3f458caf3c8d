import { fileURLToPath } from 'node:url';
import type { Db } from '@flash-sale/db';
import { createTestDatabase, CuttableProxy, runScript, type ScriptRun, serviceEntry, type ServiceProcess, spawnService, type TestDatabase, uniqueRedisPrefix } from '@flash-sale/testing';
import { Redis } from 'ioredis';
import { DisposableRedis } from './redis-server.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ApiProcess extends ServiceProcess {
  url: string;
}

/**
 * One fault case's world: a freshly migrated database reached through a TCP proxy the case can
 * cut (MySQL going away and coming back), a Redis server of its own that it can kill and start
 * again empty, and the api and worker as real processes on them.
 */
export interface FaultStack {
  db: Db;
  /** The database's own URL, past the proxy (for the CLI and for assertions). */
  databaseUrl: string;
  redis: DisposableRedis;
  /** A plain connection to the case's Redis, for assertions; reconnects after a restart. */
  redisClient: Redis;
  mysqlProxy: CuttableProxy;
  prefix: string;
  env(extra?: Record<string, string>): Record<string, string>;
  startApi(extra?: Record<string, string>): Promise<ApiProcess>;
  startWorker(extra?: Record<string, string>): Promise<ServiceProcess>;
  createProduct(totalStock: number, options?: { price?: string }): Promise<number>;
  close(): Promise<void>;
}

export async function startFaultStack(): Promise<FaultStack> {
  const database: TestDatabase = await createTestDatabase();
  const redis = await DisposableRedis.start();
  const { proxy: mysqlProxy, url: viaProxy } = await CuttableProxy.inFrontOf(database.url);
  const prefix = uniqueRedisPrefix();
  const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  redisClient.on('error', () => undefined);
  let products = 0;

  const env = (extra: Record<string, string> = {}) => ({
    NODE_ENV: 'test',
    DATABASE_URL: viaProxy,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    WORKER_METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    ...extra,
  });

  return {
    db: database.db,
    databaseUrl: database.url,
    redis,
    redisClient,
    mysqlProxy,
    prefix,
    env,
    async startApi(extra) {
      const api = await spawnService({ entry: serviceEntry.api, env: env(extra), ready: (line) => String(line.msg).startsWith('Server listening') });
      const url = String(api.lines.find((line) => String(line.msg).startsWith('Server listening'))!.msg).replace('Server listening at ', '');
      return { ...api, url };
    },
    startWorker(extra) {
      return spawnService({ entry: serviceEntry.worker, env: env(extra), ready: (line) => line.msg === 'worker ready' });
    },
    async createProduct(totalStock, options = {}) {
      products += 1;
      const product = await database.db.product.create({
        data: { code: `FAULT-${products}`, name: `Fault product ${products}`, price: options.price ?? '10.00', totalStock, availableStock: totalStock },
      });
      return product.id;
    },
    async close() {
      redisClient.disconnect();
      await mysqlProxy.down();
      await redis.dispose();
      await database.drop();
    },
  };
}

/** startFaultStack with the api running on it, started with `extra` in its environment. */
export async function startFaultStackWithApi(extra?: Record<string, string>): Promise<{ stack: FaultStack; api: ApiProcess }> {
  const stack = await startFaultStack();
  try {
    return { stack, api: await stack.startApi(extra) };
  } catch (error) {
    // The caller never gets the stack to close: its database, Redis server and proxy go here.
    await stack.close();
    throw error;
  }
}

/** `flash-sale <args>` as a real process, on the case's stores (directly, not through the proxy). */
export function runCli(stack: FaultStack, args: string[]): Promise<ScriptRun> {
  const env = { ...process.env, ...stack.env({ LOG_LEVEL: 'silent', DATABASE_URL: stack.databaseUrl }) };
  return runScript({ entry: serviceEntry.cli, args, env, cwd: repoRoot });
}
