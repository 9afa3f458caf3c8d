import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '@flash-sale/config';
import { bullPrefix, createFailFastRedis, createJobQueues, createWorkerRedis, queueNames, type JobQueues, type QueueName } from '@flash-sale/queues';
import { JobRates, redisNowMs, windowStartEventId } from '../watch/job-rates.ts';
import { reachRedis } from './reachability.ts';

/**
 * How long one command of `clean` may run. Deleting a big finished set is one long Lua script
 * per 10 000 jobs, so it gets a connection of its own with this allowance; every other command
 * keeps the fail-fast connection's 1 s, so a Redis that stops answering is reported in seconds.
 */
export const LONG_COMMAND_TIMEOUT_MS = 15_000;

export interface QueueConnection {
  jobs: JobQueues;
  /** The connection under the queues, for the few reads BullMQ has no method for. */
  redis: Redis;
  /** The queue on a second connection with LONG_COMMAND_TIMEOUT_MS per command, for `clean`. */
  queueForLongCommands(name: QueueName): Promise<Queue>;
  /** Completed and failed jobs per minute of every queue, heard from now on through QueueEvents. */
  listenForJobRates(): Promise<Map<QueueName, JobRates>>;
}

type Register = (close: () => Promise<void>) => void;

/**
 * The three queues on one fail-fast connection, the services' key prefix and layout, checked to
 * be reachable. `register` receives the closer before the check, so a failed check still closes.
 */
export async function openQueues(config: Config, register: Register): Promise<QueueConnection> {
  const redis = openConnection(config, { connectionName: 'flash-sale-cli' });
  const jobs = createJobQueues(redis, config.redisKeyPrefix, () => undefined);
  register(() => closeConnection(redis, () => jobs.close()));
  await reachRedis(redis, config.redisUrl);
  return {
    jobs,
    redis,
    async queueForLongCommands(name) {
      const connection = openConnection(config, { connectionName: 'flash-sale-cli-long', commandTimeout: LONG_COMMAND_TIMEOUT_MS });
      const queue = new Queue(name, { connection, prefix: bullPrefix(config.redisKeyPrefix) });
      queue.on('error', () => undefined);
      register(() => closeConnection(connection, () => queue.close()));
      await reachRedis(connection, config.redisUrl);
      return queue;
    },
    async listenForJobRates() {
      const startAt = windowStartEventId(await redisNowMs(redis));
      return new Map(
        queueNames.map((name) => {
          // QueueEvents blocks (XREAD BLOCK) on a duplicate BullMQ makes of the connection it is
          // given, so this one only carries the options (no per-command timeout, retries forever)
          // and never connects itself; events.close() ends the wait and closes the duplicate.
          const connection = createWorkerRedis(config.redisUrl, { connectionName: 'flash-sale-cli-events', lazyConnect: true });
          connection.on('error', () => undefined);
          const events = new QueueEvents(name, { connection, prefix: bullPrefix(config.redisKeyPrefix), lastEventId: startAt });
          events.on('error', () => undefined);
          register(async () => {
            connection.disconnect();
            await events.close().catch(() => undefined);
          });
          return [name, new JobRates(events)];
        }),
      );
    },
  };
}

function openConnection(config: Config, options: { connectionName: string; commandTimeout?: number }): Redis {
  const redis = createFailFastRedis(config.redisUrl, options);
  // Failures surface through reachRedis or the failing command; without a listener ioredis
  // would also print every reconnect attempt to stderr.
  redis.on('error', () => undefined);
  return redis;
}

async function closeConnection(redis: Redis, closeQueues: () => Promise<void>): Promise<void> {
  // A connection that never came up has nothing to flush: drop it, or closing would wait.
  if (redis.status !== 'ready') redis.disconnect();
  await closeQueues();
  await redis.quit().catch(() => redis.disconnect());
}
