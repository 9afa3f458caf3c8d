import type { Job, JobState, Queue } from 'bullmq';

/**
 * The states `jobs` can list, in the order a listing of every state walks them: what is
 * running, then what is next, then what is done.
 */
export const listableStates = ['active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'failed', 'completed'] as const satisfies readonly JobState[];
type ListableState = (typeof listableStates)[number];

type JobRow = ReturnType<typeof toRow>;

/**
 * One page of jobs in one state, or across every state in `listableStates` order. BullMQ pages
 * each state on its own, so the page's window over the concatenated states is cut into
 * per-state ranges using the counts.
 */
export async function listJobs(queue: Queue, options: { state?: ListableState; limit: number; page: number; now: number }): Promise<{ total: number; jobs: JobRow[] }> {
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
    rows.push(...jobs.map((job) => toRow(job, state, options.now, state === 'delayed' ? delayedUntil(job) : undefined)));
    remaining -= jobs.length;
    windowStart = 0;
  }
  return { total, jobs: rows };
}

function toRow(job: Job, state: ListableState, now: number, dueAt: number | undefined) {
  return {
    id: job.id ?? '',
    name: job.name,
    state,
    attemptsMade: job.attemptsMade,
    // BullMQ treats a missing or 0 `attempts` as a single attempt.
    maxAttempts: job.opts.attempts || 1,
    createdAt: job.timestamp,
    ageMs: now - job.timestamp,
    // Delayed jobs only: when it is due (ms since epoch) and how long until then (0 once due).
    dueAt: dueAt ?? null,
    delayLeftMs: dueAt === undefined ? null : Math.max(0, dueAt - now),
    failedReason: job.failedReason || null,
  };
}

/**
 * When a delayed job is due, from its public fields: added with a delay, `timestamp + delay`;
 * waiting out a retry's backoff, the backoff (`delay` then holds it) counted from the start of the
 * attempt that failed (`processedOn`), since BullMQ keeps no time of the failure itself, so such a
 * due time may read early by that attempt's run time (milliseconds for ours).
 */
export function delayedUntil(job: Pick<Job, 'timestamp' | 'delay' | 'processedOn' | 'attemptsStarted'>): number {
  const from = job.attemptsStarted > 0 && job.processedOn ? job.processedOn : job.timestamp;
  return from + job.delay;
}
