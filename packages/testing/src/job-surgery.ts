import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

// States a test needs that BullMQ's public API cannot give a job: finished long ago, or half
// lost by Redis. They are written into Redis directly, here only, so that the tests name what
// they do and a BullMQ upgrade that moves its keys breaks one file. Each throws when the job is
// not where it should be, so a test cannot go on with a job that was never changed.

/** A job that finished (completed or failed) reads as finished at `finishedAt`: its score in the state's set, which clean and the retention go by, and its finishedOn. */
export async function backdateFinishedJob(redis: Redis, queue: Queue, state: 'completed' | 'failed', jobId: string, finishedAt: number): Promise<void> {
  const moved = await redis.zadd(queue.toKey(state), 'XX', 'CH', finishedAt, jobId);
  if (moved !== 1) throw new Error(`${queue.name} job ${jobId} is not ${state}`);
  await redis.hset(queue.toKey(jobId), 'finishedOn', String(finishedAt));
}

/** Redis keeps the job's hash but loses its data, name and options (an evicted or rewritten key). */
export async function loseJobData(redis: Redis, queue: Queue, jobId: string): Promise<void> {
  if ((await redis.hdel(queue.toKey(jobId), 'data', 'name', 'opts')) === 0) throw new Error(`${queue.name} job ${jobId} has no data to lose`);
}

/** Redis keeps the delayed job's hash but loses its place in the delayed set (a failover that lost the write). */
export async function loseDelayedJobPlace(redis: Redis, queue: Queue, jobId: string): Promise<void> {
  if ((await redis.zrem(queue.toKey('delayed'), jobId)) !== 1) throw new Error(`${queue.name} job ${jobId} is not delayed`);
}
