import { Redis, type RedisOptions } from 'ioredis';
import { withDeadline } from './with-deadline.ts';

/**
 * A connection for request paths (cache reads, enqueueing from the api): when Redis is down a
 * command fails within a second instead of queueing forever, so the caller can fall back or 503.
 */
export function createFailFastRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...options,
  });
}

/**
 * Resolves once `connection` is ready. Rejects on its first error (the fail-fast connection
 * reports a refused connection at once) or when `ms` pass without an answer; `timeout` is what
 * the caller was waiting for, or the error to reject with, as for `withDeadline`.
 */
export async function redisReady(connection: Redis, ms: number, timeout: string | (() => Error)): Promise<void> {
  if (connection.status === 'ready') return;
  let cleanUp = () => {};
  const readyOrError = new Promise<void>((resolve, reject) => {
    const onReady = () => resolve();
    const onError = (error: Error) => reject(error);
    connection.once('ready', onReady);
    connection.once('error', onError);
    cleanUp = () => {
      connection.off('ready', onReady);
      connection.off('error', onError);
    };
  });
  try {
    await withDeadline(readyOrError, ms, timeout);
  } finally {
    cleanUp();
  }
}

/** A connection for BullMQ workers: blocking commands need `maxRetriesPerRequest: null`. */
export function createWorkerRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/**
 * Logs a connection going down once (not on every reconnect attempt) and coming back once.
 * Works for ioredis connections and for BullMQ queues and workers, which re-emit their errors.
 */
export function logConnectionHealth(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown; on(event: 'ready', listener: () => void): unknown },
  logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
  name: string,
): void {
  let down = false;
  emitter.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error, connection: name }, 'redis connection lost; retrying');
  });
  emitter.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ connection: name }, 'redis connection restored');
  });
}
