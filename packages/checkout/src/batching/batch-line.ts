import { ServiceUnavailableError } from '@flash-sale/errors';

// Natural batching, per key (a product): a request that arrives while a batch for its key is in
// flight waits in that key's line and goes into the next batch, which starts the moment the
// previous one has finished. No timer: a request alone is run at once, as a batch of one; under
// a crowd, batches grow to what arrived during the last one, up to `maxBatch`. The line is
// bounded: past `maxWaiting` a request is refused at once with a 503 (overload is explicit and
// never a hang).

export interface BatchLineOptions {
  /** Most members in one batch. */
  maxBatch: number;
  /** Most members waiting for one key, the running batch not counted. */
  maxWaiting: number;
}

interface Member<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/** What a batch returns for each member, in the members' order: an answer or a refusal. */
export type MemberResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface BatchLine<K, I, O> {
  /** Joins `key`'s line; resolves or rejects with this member's own result. */
  submit(key: K, input: I): Promise<O>;
  /** Members waiting or running, all keys together (for tests and metrics). */
  size(): number;
}

export function createBatchLine<K, I, O>(
  options: BatchLineOptions,
  runBatch: (key: K, inputs: I[]) => Promise<MemberResult<O>[]>,
): BatchLine<K, I, O> {
  const waiting = new Map<K, Member<I, O>[]>();
  const running = new Set<K>();
  let members = 0;

  const startNext = (key: K): void => {
    const line = waiting.get(key);
    if (!line || line.length === 0) {
      waiting.delete(key);
      running.delete(key);
      return;
    }
    running.add(key);
    const batch = line.splice(0, options.maxBatch);
    void runBatch(key, batch.map((member) => member.input)).then(
      (results) => {
        batch.forEach((member, index) => {
          const result = results[index];
          if (result?.ok) member.resolve(result.value);
          else member.reject(result ? result.error : new Error('The batch returned no result for a member.'));
        });
      },
      // The batch failed whole (its transaction rolled back): every member gets the failure.
      (error: unknown) => batch.forEach((member) => member.reject(error)),
    ).finally(() => {
      members -= batch.length;
      startNext(key);
    });
  };

  return {
    submit(key, input) {
      const line = waiting.get(key) ?? [];
      if (line.length >= options.maxWaiting) {
        return Promise.reject(new ServiceUnavailableError('Too many requests are waiting for this product; retry shortly.', { retryAfterSeconds: 1 }));
      }
      const result = new Promise<O>((resolve, reject) => line.push({ input, resolve, reject }));
      waiting.set(key, line);
      members += 1;
      if (!running.has(key)) startNext(key);
      return result;
    },
    size: () => members,
  };
}
