import { Queue } from 'bullmq';
import { Value } from '@sinclair/typebox/value';
import type { Redis } from 'ioredis';
import { queueCatalog, queueNames, type JobPayload, type QueueName } from './catalog.ts';
import { withDeadline } from './with-deadline.ts';

const COMMAND_DEADLINE_MS = 1_500;
const CLOSE_DEADLINE_MS = 3_000;
const LOOKUP_SLICE = 500;

/** BullMQ's key prefix under the deployment's namespace: `<REDIS_KEY_PREFIX>:bull:<queue>:...`. */
export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}:bull`;
}

export interface JobQueues {
  /**
   * Adds the job under its catalog jobId, so the same hold or order never has two jobs.
   * Rejects when Redis refuses: enqueueing fails loudly, never silently.
   */
  enqueue<Q extends QueueName>(queue: Q, payload: JobPayload<Q>, options?: { delayMs?: number }): Promise<void>;
  /** Adds many jobs in one round trip (addBulk), each under its catalog jobId; rejects as enqueue. */
  enqueueMany<Q extends QueueName>(queue: Q, payloads: JobPayload<Q>[], options?: { delayMs?: number }): Promise<void>;
  /**
   * Makes sure the job will run: adds it if missing, retries it if it failed, re-adds it if it
   * completed, replaces it if Redis kept only part of it. A delayed job (waiting out a backoff)
   * is promoted to run now only with `promoteDelayed`; a waiting or active job is left alone.
   */
  runSoon<Q extends QueueName>(
    queue: Q,
    payload: JobPayload<Q>,
    options?: { promoteDelayed?: boolean },
  ): Promise<'added' | 'retried' | 'promoted' | 'present'>;
  /** Jobs in the queue by state; rejects within a deadline when Redis is down. */
  counts(queue: QueueName): Promise<Record<string, number>>;
  /**
   * Of these payloads, the ones without a live job: none exists, it already finished (failed,
   * or completed), or Redis kept only part of it (its hash without its data, or its id in no
   * list). Two pipelined round trips a slice.
   */
  missing<Q extends QueueName>(queue: Q, payloads: JobPayload<Q>[]): Promise<JobPayload<Q>[]>;
  /** Removes a job that is no longer needed (e.g. the expiry job of a released hold). */
  remove<Q extends QueueName>(queue: Q, payload: JobPayload<Q>): Promise<void>;
  queue(name: QueueName): Queue;
  close(): Promise<void>;
}

export function createJobQueues(connection: Redis, keyPrefix: string, onError: (error: Error, queue: QueueName) => void): JobQueues {
  const queues = new Map<QueueName, Queue>(
    queueNames.map((name) => {
      const queue = new Queue(name, { connection, prefix: bullPrefix(keyPrefix) });
      // Without a listener BullMQ prints connection errors to stderr on every retry.
      queue.on('error', (error) => onError(error, name));
      return [name, queue];
    }),
  );
  const queueOf = (name: QueueName): Queue => queues.get(name)!;
  const jobIdOf = <Q extends QueueName>(name: Q, payload: JobPayload<Q>) =>
    (queueCatalog[name].jobId as (payload: JobPayload<Q>) => string)(payload);
  // A job as the catalog defines it: its name, options and jobId (so it is never doubled).
  const jobOf = <Q extends QueueName>(name: Q, payload: JobPayload<Q>, delayMs = 0) => ({
    name: queueCatalog[name].jobName,
    data: payload,
    opts: { ...queueCatalog[name].options, jobId: jobIdOf(name, payload), delay: Math.max(0, Math.ceil(delayMs)) },
  });

  return {
    async enqueue(name, payload, options = {}) {
      const job = jobOf(name, payload, options.delayMs);
      await withDeadline(queueOf(name).add(job.name, job.data, job.opts), COMMAND_DEADLINE_MS, `enqueue on ${name}`);
    },
    async enqueueMany(name, payloads, options = {}) {
      const added = queueOf(name).addBulk(payloads.map((payload) => jobOf(name, payload, options.delayMs)));
      await withDeadline(added, COMMAND_DEADLINE_MS, `enqueue ${payloads.length} on ${name}`);
    },
    async runSoon(name, payload, options = {}) {
      const job = await withDeadline(queueOf(name).getJob(jobIdOf(name, payload)), COMMAND_DEADLINE_MS, `look up on ${name}`);
      let state = job ? await job.getState() : 'missing';
      // A job Redis kept only part of (an evicted key, a failover that lost writes, a key deleted
      // by hand): its id in no list (`unknown`: a new add would be dropped as a duplicate), or its
      // hash without its data (BullMQ rebuilds a bare one when it takes such an id, which then
      // fails on every retry). Neither would ever run its payload: it is replaced by a whole job.
      // Two sweepers doing so at once may replace each other's whole job: it runs twice at worst,
      // and every job is idempotent.
      if (job && state !== 'active' && (state === 'unknown' || !Value.Check(queueCatalog[name].payload, job.data))) {
        await job.remove();
        state = 'missing';
      }
      if (state === 'failed') {
        await job!.retry('failed');
        return 'retried';
      }
      if (state === 'delayed' && options.promoteDelayed) {
        // It may have started meanwhile; then it is running, which is what we want anyway.
        await job!.promote().catch(() => undefined);
        return 'promoted';
      }
      if (state === 'completed') await job!.remove();
      if (state === 'completed' || state === 'missing' || state === 'unknown') {
        await this.enqueue(name, payload);
        return 'added';
      }
      return 'present';
    },
    async counts(name) {
      const queue = queueOf(name);
      return withDeadline(queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'), COMMAND_DEADLINE_MS, `count ${name}`);
    },
    async missing(name, payloads) {
      const queue = queueOf(name);
      const live: boolean[] = [];
      // Through BullMQ's public API (getJob, getState), a slice at a time: the lookups of one
      // slice travel together on the connection. `finishedOn` is set once a job completed or
      // failed for good. A hash without its data, or a job whose id is in no list (`unknown`; see
      // runSoon), will never run its payload either.
      const isLive = async (payload: JobPayload<typeof name>) => {
        const job = await queue.getJob(jobIdOf(name, payload));
        if (!job || job.finishedOn || !Value.Check(queueCatalog[name].payload, job.data)) return false;
        return (await job.getState()) !== 'unknown';
      };
      for (let start = 0; start < payloads.length; start += LOOKUP_SLICE) {
        const slice = payloads.slice(start, start + LOOKUP_SLICE);
        live.push(...(await withDeadline(Promise.all(slice.map(isLive)), COMMAND_DEADLINE_MS * 4, `look up jobs on ${name}`)));
      }
      return payloads.filter((_, index) => !live[index]);
    },
    async remove(name, payload) {
      await withDeadline(queueOf(name).remove(jobIdOf(name, payload)), COMMAND_DEADLINE_MS, `remove from ${name}`);
    },
    queue: queueOf,
    async close() {
      const closed = Promise.all([...queues.values()].map((queue) => queue.close()));
      // With Redis unreachable BullMQ's close waits for a connection; the caller then closes it.
      await withDeadline(closed, CLOSE_DEADLINE_MS, 'closing queues').catch(() => undefined);
    },
  };
}
