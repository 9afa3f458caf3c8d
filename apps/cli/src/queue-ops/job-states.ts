import type { JobState } from 'bullmq';

/**
 * The states `jobs` can list, in the order a listing of every state walks them: what is
 * running, then what is next, then what is done.
 */
export const listableStates = ['active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'failed', 'completed'] as const satisfies readonly JobState[];
export type ListableState = (typeof listableStates)[number];

/** The states whose counts `queues` and `watch` read from BullMQ. */
export const countedStates = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const satisfies readonly JobState[];

/**
 * Plus `paused`: the jobs a pause is holding back. Since BullMQ v5 a paused queue keeps its jobs
 * in waiting/prioritized and only flags the queue (there is no paused list any more), so this is
 * those counts while paused and 0 otherwise, as Bull Board shows it.
 */
export type CountedState = (typeof countedStates)[number] | 'paused';
