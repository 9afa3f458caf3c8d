import type { Queue } from 'bullmq';
import { delayedUntil } from './list-jobs.ts';

/** Everything Bull Board shows about one job, in a JSON-friendly shape (`job --json`). */
export type JobDetails = NonNullable<Awaited<ReturnType<typeof readJobDetails>>>;

/** The job, or undefined when the queue has no job with that id. */
export async function readJobDetails(queue: Queue, id: string) {
  const job = await queue.getJob(id);
  if (!job) return undefined;
  const [state, logs] = await Promise.all([job.getState(), queue.getJobLogs(id, 0, -1, true)]);
  const dueAt = state === 'delayed' ? delayedUntil(job) : undefined;
  return {
    queue: queue.name,
    id,
    name: job.name,
    state,
    data: job.data as unknown,
    options: job.opts,
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted,
    maxAttempts: job.opts.attempts || 1,
    progress: job.progress,
    returnValue: (job.returnvalue as unknown) ?? null,
    failedReason: job.failedReason || null,
    stacktrace: job.stacktrace ?? [],
    logs: logs.logs,
    timestamps: {
      created: isoOrNull(job.timestamp),
      processed: isoOrNull(job.processedOn),
      finished: isoOrNull(job.finishedOn),
      dueAt: isoOrNull(dueAt),
    },
  };
}

function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
