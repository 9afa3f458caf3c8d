import type { JobState } from 'bullmq';
import { queueNames, withDeadline, type JobQueues, type QueueName } from '@flash-sale/queues';
import { noAnswer } from '../stores/reachability.ts';

/** The states whose counts `queues` and `watch` read from BullMQ. */
const countedStates = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const satisfies readonly JobState[];

/**
 * Plus `paused`: the jobs a pause is holding back. Since BullMQ v5 a paused queue keeps its jobs
 * in waiting/prioritized and only flags the queue (there is no paused list any more), so this is
 * those counts while paused and 0 otherwise, as Bull Board shows it.
 */
export type CountedState = (typeof countedStates)[number] | 'paused';

/**
 * BullMQ waits for its connection to be ready before it sends a command, however long that
 * takes (it ignores the fail-fast options), so a Redis that went away would hold `queues` and
 * `watch` without a deadline of their own.
 */
export const COUNT_DEADLINE_MS = 2_000;

export interface QueueOverview {
  name: QueueName;
  paused: boolean;
  counts: Record<CountedState, number>;
}

/** Every queue's counts by state and whether it is paused, the queues read in parallel. */
export function readQueueOverviews(jobs: JobQueues): Promise<QueueOverview[]> {
  return Promise.all(
    queueNames.map(async (name): Promise<QueueOverview> => {
      const queue = jobs.queue(name);
      const [counts, paused] = await Promise.all([
        withDeadline(queue.getJobCounts(...countedStates), COUNT_DEADLINE_MS, () => noAnswer('Redis', `the job counts of ${name}`, COUNT_DEADLINE_MS)),
        queue.isPaused(),
      ]);
      const byState = Object.fromEntries(countedStates.map((state) => [state, counts[state] ?? 0])) as Record<CountedState, number>;
      byState.paused = paused ? byState.waiting + byState.prioritized : 0;
      return { name, paused, counts: byState };
    }),
  );
}
