import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { JobsOptions, WorkerOptions } from 'bullmq';

// Every queue, its job name, payload schema, job id and options, in one place: the api enqueues
// and the worker consumes through this catalog, so both sides are type-checked against it.

const Id = Type.Integer({ minimum: 1 });

/**
 * How long finished jobs are kept, in every queue: completed ones an hour (for `jobs`/`job` in the
 * CLI, and so that a repeated jobId is still deduplicated meanwhile), failed ones a week, for ops
 * to read and retry. The workers apply it as they finish each job (their `removeOnComplete` and
 * `removeOnFail`), instead of every job carrying it in its options: a job's options are packed
 * and stored with it, and these two objects were the larger part of them. Without them, an expiry
 * job costs about 10 % less of the api's CPU to build and 15 % less of Redis's to add (30 against
 * 25.6 µs per job, measured with Redis's commandstats), and holds at 32 clients ran about 3.5 %
 * faster (interleaved, fourteen rounds, ahead in ten). Every job finishes through a worker (one
 * stalled too often is failed by the next worker that takes it), so each is kept as before.
 */
export const finishedJobRetention = {
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const satisfies Pick<WorkerOptions, 'removeOnComplete' | 'removeOnFail'>;

export const queueCatalog = {
  'hold-expiry': {
    jobName: 'expire-hold',
    payload: Type.Object({ holdId: Id }, { additionalProperties: false }),
    jobId: (payload: { holdId: number }) => `hold-${payload.holdId}`,
    // Retries 0.5 s, 1 s, 2 s … capped at 30 s (the worker's capped-exponential strategy), about
    // 17 minutes in all: a MySQL outage shorter than that leaves no failed job behind, only ones
    // the sweeper has already done the work of. What fails for good is worth reading.
    options: { attempts: 40, backoff: { type: 'capped-exponential', delay: 500 } },
  },
  'order-timeout': {
    jobName: 'timeout-order',
    payload: Type.Object({ orderId: Id }, { additionalProperties: false }),
    jobId: (payload: { orderId: number }) => `order-${payload.orderId}`,
    // 1 s, 2 s … capped at 30 s, about 18 minutes in all, as hold-expiry's.
    options: { attempts: 40, backoff: { type: 'capped-exponential', delay: 1000 } },
  },
  'payment-webhook': {
    jobName: 'apply-payment-event',
    payload: Type.Object({ paymentEventId: Id }, { additionalProperties: false }),
    jobId: (payload: { paymentEventId: number }) => `payment-event-${payload.paymentEventId}`,
    // An event waits for its order (which may not exist yet) with retries 1 s, 2 s, 4 s … capped
    // at 30 s (the worker's capped-exponential strategy); the sweeper re-drives it if they run out.
    options: { attempts: 200, backoff: { type: 'capped-exponential', delay: 1000 } },
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
