import type { Redis } from 'ioredis';
import { withDeadline, type JobQueues, type QueueName } from '@flash-sale/queues';
import { readQueueOverviews, type QueueOverview } from '../queue-ops/queue-overview.ts';
import { REACH_DEADLINE_MS } from '../stores/reachability.ts';
import { redisNowMs, type JobRates, type QueueRates } from './job-rates.ts';

export interface QueueStats {
  overviews: QueueOverview[];
  rates: Map<string, QueueRates>;
}

/** A refresh was asked for while the previous one is still waiting for Redis: this tick is skipped. */
export class RefreshPendingError extends Error {
  override name = 'RefreshPendingError';
  constructor() {
    super('Redis has not answered the previous refresh yet');
  }
}

/**
 * Reads the counts of every queue and Redis's time, and takes each queue's rates at that time
 * (the QueueEvents behind `rates` hear the events meanwhile). At most one read is in flight: a
 * read that outlived its deadline may still be running (Redis answers late, or not until the
 * command times out), and piling more beside it would only add load to a Redis already slow.
 * While one is pending, a call rejects with RefreshPendingError instead of starting another.
 */
export function createQueueStatsReader(jobs: JobQueues, redis: Redis, rates: Map<QueueName, JobRates>): () => Promise<QueueStats> {
  const read = async (): Promise<QueueStats> => {
    const [overviews, now] = await Promise.all([readQueueOverviews(jobs), redisNowMs(redis)]);
    return { overviews, rates: new Map([...rates].map(([name, counter]) => [name, counter.at(now)])) };
  };
  let inFlight: Promise<QueueStats> | undefined;
  return () => {
    if (inFlight) return Promise.reject(new RefreshPendingError());
    const current = read();
    inFlight = current;
    // Cleared when the read settles, however late; its failure is reported through the
    // deadline-wrapped promise below, or not at all when nobody waits for it any more.
    current.then(
      () => (inFlight = undefined),
      () => (inFlight = undefined),
    );
    // Bounded, so the screen says what is wrong instead of freezing on a Redis that went away.
    return withDeadline(current, REACH_DEADLINE_MS, () => new Error(`Redis did not answer within ${REACH_DEADLINE_MS} ms`));
  };
}
