import { QueueEvents, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CheckoutDeps } from '@flash-sale/checkout';
import { ConfigError, loadConfig, loadConfigOf, type Config } from '@flash-sale/config';
import type { Db } from '@flash-sale/db';
import type { Stores } from '@flash-sale/process';
import { bullPrefix, createFailFastRedis, createJobQueues, createWorkerRedis, withDeadline, type JobQueues, type QueueName } from '@flash-sale/queues';
import { usageError, type ExitCode } from '../exit-codes.ts';
import { REACH_DEADLINE_MS, reachDatabase, reachMysql, reachRedis, unreachable } from './reachability.ts';

/** The services' stores and the domain on them, as the api and worker compose them. */
export type CliRuntime = Stores & { deps: CheckoutDeps };

export interface QueueConnection {
  jobs: JobQueues;
  /** REDIS_KEY_PREFIX, under which the queues are (`watch` shows it). */
  keyPrefix: string;
  /** The connection under the queues, for Redis's clock (`watch`). */
  redis: Redis;
  /** BullMQ's event stream of a queue, read from `lastEventId` on (`watch`). */
  queueEvents(name: QueueName, lastEventId: string): QueueEvents;
}

/**
 * The stores one command uses, each opened on first use and checked to answer (exit 3 when it
 * does not); main closes whatever was opened, last opened first. A command is refused (exit 2)
 * only for a variable it uses: the queue commands read REDIS_URL and REDIS_KEY_PREFIX, `webhooks`
 * DATABASE_URL, and `audit` runs the domain on the services' whole configuration.
 */
export interface Session {
  queues(): Promise<QueueConnection>;
  /** One queue of `queues()`: what a command about one queue acts on. */
  queue(name: QueueName): Promise<Queue>;
  database(): Promise<Db>;
  runtime(): Promise<CliRuntime>;
  close(): Promise<void>;
}

/**
 * What every command gets: the stores, and the exit code main ends with. A command that reports
 * a finding alongside its output (audit) sets it; every other outcome but success is thrown as a
 * CliError and mapped by main.
 */
export interface CliContext {
  session: Session;
  exitCode: ExitCode;
}

export function createSession(): Session {
  const closers: (() => Promise<void>)[] = [];
  const onClose = (close: () => Promise<void>) => void closers.push(close);
  const once = <T>(open: () => Promise<T>) => {
    let opened: Promise<T> | undefined;
    return () => (opened ??= open());
  };
  const queues = once(() => openQueues(configOf(() => loadConfigOf(['REDIS_URL', 'REDIS_KEY_PREFIX'])), onClose));
  return {
    queues,
    queue: async (name) => (await queues()).jobs.queue(name),
    database: once(() => openDatabase(configOf(() => loadConfigOf(['DATABASE_URL'])), onClose)),
    runtime: once(() => openRuntime(configOf(() => loadConfig()), onClose)),
    async close() {
      // One failing to close must not keep the others open.
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

type OnClose = (close: () => Promise<void>) => void;

/** A bad variable is a usage problem of this invocation, like a bad option. */
function configOf(load: () => Config): Config {
  try {
    return load();
  } catch (error) {
    throw error instanceof ConfigError ? usageError(error.message) : error;
  }
}

/** The three queues on one fail-fast connection, under the services' key prefix. */
async function openQueues(config: Config, onClose: OnClose): Promise<QueueConnection> {
  const redis = createFailFastRedis(config.redisUrl, { connectionName: 'flash-sale-cli' });
  // Failures surface through reachRedis or the failing command; without a listener ioredis
  // would also print every reconnect attempt to stderr.
  redis.on('error', () => undefined);
  const jobs = createJobQueues(redis, config.redisKeyPrefix, () => undefined);
  // Registered before the check, so a failed check still closes.
  onClose(async () => {
    // A connection that never came up has nothing to flush: drop it, or closing would wait.
    if (redis.status !== 'ready') redis.disconnect();
    await jobs.close();
    await redis.quit().catch(() => redis.disconnect());
  });
  await reachRedis(redis, config.redisUrl);
  return {
    jobs,
    keyPrefix: config.redisKeyPrefix,
    redis,
    queueEvents(name, lastEventId) {
      // QueueEvents blocks (XREAD BLOCK) on a duplicate BullMQ makes of the connection it is
      // given, so this one only carries the options (no per-command timeout, retries forever)
      // and never connects itself; events.close() ends the wait and closes the duplicate.
      const connection = createWorkerRedis(config.redisUrl, { connectionName: 'flash-sale-cli-events', lazyConnect: true });
      connection.on('error', () => undefined);
      const events = new QueueEvents(name, { connection, prefix: bullPrefix(config.redisKeyPrefix), lastEventId });
      events.on('error', () => undefined);
      onClose(async () => {
        connection.disconnect();
        await events.close().catch(() => undefined);
      });
      return events;
    },
  };
}


// @flash-sale/db and the domain are imported on demand: Prisma costs a second of start-up that
// the queue commands should not pay.

/** Prisma on the services' DATABASE_URL (`webhooks`). */
async function openDatabase(config: Config, onClose: OnClose): Promise<Db> {
  await reachMysql(config.databaseUrl);
  const { createDb, pingDatabase } = await import('@flash-sale/db');
  const db = createDb(config.databaseUrl);
  onClose(() => db.$disconnect());
  await reachDatabase(() => pingDatabase(db), config.databaseUrl);
  return db;
}

/** The domain on the services' own stores (`audit`): a repair writes through the cache as the api does. */
async function openRuntime(config: Config, onClose: OnClose): Promise<CliRuntime> {
  await reachMysql(config.databaseUrl);
  const [{ createCheckoutDeps }, { pingDatabase }, { createLogger }, { openStores }] = await Promise.all([
    import('@flash-sale/checkout'),
    import('@flash-sale/db'),
    import('@flash-sale/logger'),
    import('@flash-sale/process'),
  ]);
  // Silent, and on stderr if ever turned up: the CLI reports what happened itself, and pino's
  // JSON on stdout would corrupt tables and --json output.
  const logger = createLogger('cli', 'silent', { destination: process.stderr });
  // The audit's ledger reads every product's holds and orders: on a big database that can take
  // longer than the services allow a statement, and an operator is there to press Ctrl-C.
  const stores = openStores(config, logger, 'flash-sale-cli', { mysqlNoAnswerMs: 120_000 });
  onClose(() => stores.close());
  await Promise.all([
    reachDatabase(() => pingDatabase(stores.db), config.databaseUrl),
    reachRedis(stores.redis, config.redisUrl).then(() =>
      // The queues have a connection of their own; the audit's job lookups need it up too.
      withDeadline(stores.jobs.queue('hold-expiry').waitUntilReady(), REACH_DEADLINE_MS, () => unreachable('Redis', config.redisUrl, 'the queue connection did not come up')),
    ),
  ]);
  return { ...stores, deps: createCheckoutDeps(stores, { settings: config, logger }) };
}
