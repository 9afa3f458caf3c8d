import type { Redis } from 'ioredis';
import type { Config } from '@flash-sale/config';
import { connectionProblem, createDb, pingDatabase, type Db } from '@flash-sale/db';
import type { Logger } from '@flash-sale/logger';
import { createFailFastRedis, createJobQueues, logConnectionHealth, redisReady, type JobQueues } from '@flash-sale/queues';
import { probeStore, type StoreStatus } from './store-status.ts';

/** A process's connections to MySQL and Redis, opened from its config, closed by it. */
export interface Stores {
  db: Db;
  /** For the product cache and the domain's small Redis records. */
  redis: Redis;
  /** The queues, on a Redis connection of their own. */
  jobs: JobQueues;
  /**
   * Waits, at most `ms`, for MySQL and both Redis connections to answer, so the first requests
   * after start-up do not meet connections still being opened (a cache miss, an enqueue left to
   * the sweeper, a readiness 503). Never throws: a store that is down is logged and reported,
   * and the process serves what it can (503s, MySQL fallbacks) until the store is back.
   */
  waitForStores(ms?: number): Promise<StoresStatus>;
  /** Closes queues, then Redis, then MySQL; safe to call more than once. */
  close(): Promise<void>;
}

export interface StoresStatus {
  mysql: StoreStatus;
  redis: StoreStatus;
}

// Long enough for a busy machine to open its first connections (Prisma's first query included),
// short enough that a process whose store is down starts and reports it instead of hanging.
const STORE_WAIT_AT_START_MS = 5_000;

/**
 * Opens MySQL, Redis for the cache and Redis for the queues; `name` labels logs and `CLIENT LIST`.
 * `mysqlNoAnswerMs`: how long a statement may go unanswered before MySQL counts as gone (default
 * NO_ANSWER_MS, 12 s: above a pool wait plus a lock wait; the CLI's audit reads whole tables and
 * allows more).
 */
export function openStores(config: Pick<Config, 'databaseUrl' | 'redisUrl' | 'redisKeyPrefix'>, logger: Logger, name: string, options: { mysqlNoAnswerMs?: number } = {}): Stores {
  const db = createDb(config.databaseUrl, {
    noAnswerMs: options.mysqlNoAnswerMs,
    onAvailabilityChange: (change) =>
      change.available
        ? logger.info('MySQL answers again')
        : logger.error(
            { err: change.error },
            change.why === 'refused'
              ? 'MySQL refuses connections; requests that need it get 503 at once, one per second probes'
              : 'MySQL stopped answering; requests that need it get 503 at once, one per second probes',
          ),
  });
  // Fail-fast connections: with Redis down, a cache read falls back to MySQL and an enqueue is
  // logged for the sweeper, both within about a second, instead of requests hanging.
  const redis = createFailFastRedis(config.redisUrl, { connectionName: `${config.redisKeyPrefix}:${name}` });
  const queueRedis = createFailFastRedis(config.redisUrl, { connectionName: `${config.redisKeyPrefix}:${name}-queues` });
  logConnectionHealth(redis, logger, name);
  logConnectionHealth(queueRedis, logger, `${name}-queues`);
  // Connection errors are logged once above; BullMQ re-emits them per queue.
  const jobs = createJobQueues(queueRedis, config.redisKeyPrefix, () => undefined);

  let closing: Promise<void> | undefined;
  return {
    db,
    redis,
    jobs,
    async waitForStores(ms = STORE_WAIT_AT_START_MS) {
      const [mysql, redisStatus] = await Promise.all([
        probeStore(
          () => pingDatabase(db),
          ms,
          (error) => {
            logger.error({ err: error }, 'MySQL is not answering at start-up; requests that need it get 503 until it does');
            // A pool that is refused (no such database, access denied) retries until it times
            // out, which reads as the above: say what MySQL itself said, when it said one.
            void connectionProblem(config.databaseUrl).then((problem) => {
              if (problem?.refused && !closing) logger.error(`MySQL refuses this process: ${problem.reason}`);
            });
          },
        ),
        probeStore(
          () => Promise.all([redis, queueRedis].map((connection) => redisReady(connection, ms, 'Redis connection'))),
          ms,
          (error) => logger.warn({ err: error }, 'Redis is not answering at start-up; reads fall back to MySQL and the sweeper covers missed enqueues'),
        ),
      ]);
      return { mysql, redis: redisStatus };
    },
    close() {
      closing ??= (async () => {
        await jobs.close();
        await Promise.all([redis, queueRedis].map((connection) => connection.quit().catch(() => connection.disconnect())));
        await db.$disconnect().catch((error: unknown) => logger.error({ err: error }, 'closing MySQL failed'));
      })();
      return closing;
    },
  };
}
