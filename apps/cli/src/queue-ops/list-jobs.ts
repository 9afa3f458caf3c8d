import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { listableStates, type ListableState } from './job-states.ts';

export interface JobRow {
  id: string;
  name: string;
  state: ListableState;
  attemptsMade: number;
  maxAttempts: number;
  createdAt: number;
  ageMs: number;
  /** Delayed jobs only: when it is due (ms since epoch) and how long until then (0 once due). */
  dueAt: number | null;
  delayLeftMs: number | null;
  failedReason: string | null;
}

export interface JobPage {
  total: number;
  jobs: JobRow[];
}

/**
 * One page of jobs in one state, or across every state in `listableStates` order. BullMQ pages
 * each state on its own, so the page's window over the concatenated states is cut into
 * per-state ranges using the counts.
 */
export async function listJobs(queue: Queue, redis: Redis, options: { state?: ListableState; limit: number; page: number; now: number }): Promise<JobPage> {
  const states = options.state ? [options.state] : [...listableStates];
  const counts = await queue.getJobCounts(...states);
  const total = states.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  let windowStart = (options.page - 1) * options.limit;
  let remaining = options.limit;
  const rows: JobRow[] = [];
  for (const state of states) {
    if (remaining === 0) break;
    const count = counts[state] ?? 0;
    if (windowStart >= count) {
      windowStart -= count;
      continue;
    }
    const end = Math.min(count, windowStart + remaining) - 1;
    // Delayed: soonest due first; every other state: newest first.
    const jobs = await queue.getJobs(state, windowStart, end, state === 'delayed');
    const dueAt = state === 'delayed' ? await delayedDueTimes(redis, queue.keys.delayed!, jobs) : new Map<string, number>();
    rows.push(...jobs.map((job) => toRow(job, state, options.now, dueAt.get(job.id!))));
    remaining -= jobs.length;
    windowStart = 0;
  }
  return { total, jobs: rows };
}

function toRow(job: Job, state: ListableState, now: number, dueAt: number | undefined): JobRow {
  return {
    id: job.id ?? '',
    name: job.name,
    state,
    attemptsMade: job.attemptsMade,
    // BullMQ treats a missing or 0 `attempts` as a single attempt (the sweeper's jobs have 0).
    maxAttempts: job.opts.attempts || 1,
    createdAt: job.timestamp,
    ageMs: now - job.timestamp,
    dueAt: dueAt ?? null,
    delayLeftMs: dueAt === undefined ? null : Math.max(0, dueAt - now),
    failedReason: job.failedReason || null,
  };
}

/**
 * When each delayed job is due, from its score in the delayed set (timestamp × 0x1000 plus a
 * tie-breaker, BullMQ's layout). The job's own `delay` field is not enough: a retry with
 * backoff reschedules relative to the failure, not to the creation time.
 */
export async function delayedDueTimes(redis: Redis, delayedKey: string, jobs: Job[]): Promise<Map<string, number>> {
  if (jobs.length === 0) return new Map();
  const pipeline = redis.pipeline();
  for (const job of jobs) pipeline.zscore(delayedKey, job.id!);
  const results = (await pipeline.exec()) ?? [];
  const due = new Map<string, number>();
  jobs.forEach((job, index) => {
    const score = results[index]?.[1];
    if (typeof score === 'string') due.set(job.id!, Math.floor(Number(score) / 0x1000));
  });
  return due;
}
