import type { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { queueNames, type QueueName } from '@flash-sale/queues';
import type { QueueConnection } from '../stores/session.ts';

export interface QueueRates {
  completedPerMinute: number;
  failedPerMinute: number;
}

export const RATE_WINDOW_MS = 60_000;

/**
 * Completed and failed jobs of one queue in the last minute, heard through BullMQ's QueueEvents
 * (opened a minute back, so the first frames already count the minute before watch started).
 * Each event comes with its id, a Redis stream id (`<ms>-<seq>`, Redis's clock): the rate is
 * taken against Redis's own time, so a skewed local clock does not matter.
 *
 * Why not the change in the completed/failed counts between refreshes: removeOnComplete trims
 * those sets as fast as jobs complete, so under steady load the count stays flat and the rate
 * would read 0. BullMQ's `getMetrics` would do, but only with the workers' `metrics` option,
 * which costs every job a write; ours do not set it.
 */
export class JobRates {
  private readonly completedAt: number[] = [];
  private readonly failedAt: number[] = [];

  constructor(events: Pick<QueueEvents, 'on'>) {
    events.on('completed', (_event, id) => this.completedAt.push(timeOf(id)));
    events.on('failed', (_event, id) => this.failedAt.push(timeOf(id)));
  }

  /** The counts in the minute before `nowMs` (Redis's clock). */
  at(nowMs: number): QueueRates {
    const cutoff = nowMs - RATE_WINDOW_MS;
    return { completedPerMinute: countSince(this.completedAt, cutoff), failedPerMinute: countSince(this.failedAt, cutoff) };
  }
}

/** Every queue's rates at a time of Redis's clock, heard from a minute back on. */
export async function listenForJobRates({ redis, queueEvents }: Pick<QueueConnection, 'redis' | 'queueEvents'>): Promise<(nowMs: number) => Map<QueueName, QueueRates>> {
  const startAt = windowStartEventId(await redisNowMs(redis));
  const counters = queueNames.map((name) => [name, new JobRates(queueEvents(name, startAt))] as const);
  return (nowMs) => new Map(counters.map(([name, counter]) => [name, counter.at(nowMs)]));
}

/** Where a QueueEvents opened at `nowMs` starts reading: one window back. */
export function windowStartEventId(nowMs: number): string {
  return `${nowMs - RATE_WINDOW_MS}-0`;
}

function timeOf(eventId: string): number {
  return Number(eventId.split('-', 1)[0]);
}

/** Drops times older than the cutoff (events arrive in order) and counts the rest. */
function countSince(times: number[], cutoff: number): number {
  const stale = times.findIndex((time) => time >= cutoff);
  times.splice(0, stale === -1 ? times.length : stale);
  return times.length;
}

/** Redis's own clock in milliseconds. */
export async function redisNowMs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}
