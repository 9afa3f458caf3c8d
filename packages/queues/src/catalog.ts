import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { JobsOptions } from 'bullmq';

// Every queue, its job name, payload schema, job id and options, in one place: the api enqueues
// and the worker consumes through this catalog, so both sides are type-checked against it.

const Id = Type.Integer({ minimum: 1 });

const keepFinishedJobs: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  // Completed jobs are kept an hour (for `jobs`/`job` in the CLI and so a repeated jobId is
  // still deduplicated meanwhile); failed ones a week, for ops to read and retry.
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export const queueCatalog = {
  'hold-expiry': {
    jobName: 'expire-hold',
    payload: Type.Object({ holdId: Id }, { additionalProperties: false }),
    jobId: (payload: { holdId: number }) => `hold-${payload.holdId}`,
    options: { attempts: 8, backoff: { type: 'exponential', delay: 500 }, ...keepFinishedJobs },
  },
  'order-timeout': {
    jobName: 'timeout-order',
    payload: Type.Object({ orderId: Id }, { additionalProperties: false }),
    jobId: (payload: { orderId: number }) => `order-${payload.orderId}`,
    options: { attempts: 8, backoff: { type: 'exponential', delay: 1000 }, ...keepFinishedJobs },
  },
  'payment-webhook': {
    jobName: 'apply-payment-event',
    payload: Type.Object({ paymentEventId: Id }, { additionalProperties: false }),
    jobId: (payload: { paymentEventId: number }) => `payment-event-${payload.paymentEventId}`,
    // An event waits for its order (which may not exist yet) with retries 1 s, 2 s, 4 s … capped
    // at 30 s (the worker's capped-exponential strategy); the sweeper re-drives it if they run out.
    options: { attempts: 200, backoff: { type: 'capped-exponential', delay: 1000 }, ...keepFinishedJobs },
  },
} as const satisfies Record<string, { jobName: string; payload: TObject; jobId: (payload: never) => string; options: JobsOptions }>;

/**
 * The job scheduler id under which earlier versions ran the sweeper on hold-expiry. The
 * sweeper now runs from each worker's own timer over MySQL (apps/worker/src/sweeper-loop.ts),
 * so that it survives Redis losing its data; workers remove this scheduler at start.
 */
export const legacySweeperSchedulerId = 'sweeper';

export type QueueName = keyof typeof queueCatalog;
export type JobPayload<Q extends QueueName> = Static<(typeof queueCatalog)[Q]['payload']>;
export const queueNames = Object.keys(queueCatalog) as QueueName[];
