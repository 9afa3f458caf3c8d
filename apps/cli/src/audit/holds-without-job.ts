import type { JobQueues } from '@flash-sale/queues';

const CHUNK = 5_000;

/**
 * Of these active holds, the ones whose hold-expiry job does not exist: the callback
 * auditStock needs. Looked up in chunks so a big backlog is not one giant pipeline.
 */
export async function holdsWithoutExpiryJob(jobs: Pick<JobQueues, 'missing'>, holdIds: number[]): Promise<number[]> {
  const missing: number[] = [];
  for (let start = 0; start < holdIds.length; start += CHUNK) {
    const payloads = holdIds.slice(start, start + CHUNK).map((holdId) => ({ holdId }));
    missing.push(...(await jobs.missing('hold-expiry', payloads)).map((payload) => payload.holdId));
  }
  return missing;
}
