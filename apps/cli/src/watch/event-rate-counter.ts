import type { Redis } from 'ioredis';

export interface QueueRates {
  completedPerMinute: number;
  failedPerMinute: number;
}

const WINDOW_MS = 60_000;
const BATCH = 1_000;

/**
 * Completed and failed jobs of one queue in the last minute, counted from the queue's event
 * stream (`<prefix>:<queue>:events`, where BullMQ XADDs every job transition).
 *
 * Why not the change in the completed/failed counts between refreshes: removeOnComplete trims
 * those sets as fast as jobs complete (the sweep keeps 100), so under steady load the count
 * stays flat and the rate would read 0. BullMQ's own metrics would do, but only with the
 * workers' `metrics` option, which ours do not set. The stream is read incrementally: each
 * refresh fetches only the entries added since the last one, and an entry is counted only when
 * its id is past the last one counted, so two refreshes that overlap never count one twice.
 */
export class EventRateCounter {
  private lastId: string | undefined;
  private readonly completedAt: number[] = [];
  private readonly failedAt: number[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly eventsKey: string,
  ) {}

  /** `nowMs` is Redis's clock (stream ids carry it), so a skewed local clock does not matter. */
  async refresh(nowMs: number): Promise<QueueRates> {
    for (;;) {
      const start = this.lastId ? `(${this.lastId}` : String(nowMs - WINDOW_MS);
      const entries = await this.redis.xrange(this.eventsKey, start, '+', 'COUNT', BATCH);
      for (const [id, fields] of entries) {
        // Another refresh may have counted it while this one waited for Redis.
        if (this.lastId !== undefined && compareStreamIds(id, this.lastId) <= 0) continue;
        this.lastId = id;
        const event = fields[fields.indexOf('event') + 1];
        const at = Number(id.split('-', 1)[0]);
        if (event === 'completed') this.completedAt.push(at);
        else if (event === 'failed') this.failedAt.push(at);
      }
      if (entries.length < BATCH) break;
    }
    const cutoff = nowMs - WINDOW_MS;
    return { completedPerMinute: countSince(this.completedAt, cutoff), failedPerMinute: countSince(this.failedAt, cutoff) };
  }
}

/** Orders two stream ids (`<ms>-<seq>`) as Redis does: by time, then by sequence number. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

/** Drops timestamps older than the cutoff (they arrive in order) and counts the rest. */
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
