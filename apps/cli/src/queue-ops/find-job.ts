import type { Job, JobState, Queue } from 'bullmq';
import { finding } from '../exit-codes.ts';

/** The job and its current state; a missing job is a finding (exit 1), not a crash. */
export async function findJob(queue: Queue, id: string): Promise<{ job: Job; state: JobState | 'unknown' }> {
  const job = await queue.getJob(id);
  if (!job) throw finding(`no job '${id}' in queue ${queue.name}; nothing was changed.`);
  return { job, state: await job.getState() };
}
