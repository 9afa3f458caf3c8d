import { Redis } from 'ioredis';
import { createJobQueues } from '@flash-sale/queues';

/**
 * What a batch sends before its COMMIT's answer and awaits before its members answer: one
 * `addBulk` of its expiry jobs (20, about a batch at 32 clients) through the api's own
 * JobQueues, against as many small hashes written in one pipeline on the bare connection (the
 * same round trip and number of writes, without BullMQ's per-job work: the job, its options, its
 * Lua script). One client, nothing else running; the jobs are delayed an hour and removed at the
 * end.
 */
export async function expiryJobCost(redisUrl: string, keyPrefix: string, batches = 300, jobsPerBatch = 20): Promise<{ addBulkUs: number; pipelineUs: number }> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const jobs = createJobQueues(connection, keyPrefix, () => undefined);
  let holdId = 0;
  const batch = () => Array.from({ length: jobsPerBatch }, () => ({ holdId: (holdId += 1) }));
  const writeRaw = () => {
    const pipeline = connection.pipeline();
    for (const { holdId: id } of batch()) pipeline.hset(`${keyPrefix}:raw:${id}`, 'data', JSON.stringify({ holdId: id }));
    return pipeline.exec();
  };
  try {
    // Once unmeasured: BullMQ loads its scripts on the first use.
    await jobs.enqueueMany('hold-expiry', batch(), { delayMs: 3_600_000 });
    await writeRaw();
    let started = performance.now();
    for (let done = 0; done < batches; done += 1) await jobs.enqueueMany('hold-expiry', batch(), { delayMs: 3_600_000 });
    const addBulkUs = ((performance.now() - started) * 1000) / batches;
    started = performance.now();
    for (let done = 0; done < batches; done += 1) await writeRaw();
    const pipelineUs = ((performance.now() - started) * 1000) / batches;
    return { addBulkUs, pipelineUs };
  } finally {
    await jobs.queue('hold-expiry').obliterate({ force: true }).catch(() => undefined);
    await jobs.close();
    connection.disconnect();
  }
}
