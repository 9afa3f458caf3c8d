import { UnrecoverableError, type Job } from 'bullmq';
import { Value } from '@sinclair/typebox/value';
import { queueCatalog, type JobPayload, type QueueName } from '@flash-sale/queues';

/** Validates a job's data against the catalog where it is received; a bad payload never retries. */
export function payloadOf<Q extends QueueName>(queue: Q, job: Job): JobPayload<Q> {
  const schema = queueCatalog[queue].payload;
  if (!Value.Check(schema, job.data)) {
    const first = Value.Errors(schema, job.data).First();
    throw new UnrecoverableError(`Invalid ${queue} payload: ${first?.path || '(root)'} ${first?.message ?? ''}`);
  }
  return job.data as JobPayload<Q>;
}
