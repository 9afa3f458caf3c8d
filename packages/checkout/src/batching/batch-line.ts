import { ServiceUnavailableError } from '@flash-sale/errors';

// Natural batching, per key (a product), with no timer. A request that arrives while a batch for
// its key holds the product's lock waits in that key's line; the next batch has already opened
// its transaction and is queued on the lock in MySQL, and takes whoever is waiting at the moment
// it gets the lock (`take()`), up to `maxBatch`. So a request alone runs at once as a batch of
// one, and under a crowd each batch is what arrived during the last one, while the next batch's
// BEGIN and lock request overlap the current batch instead of following it. At most two batches
// per key are in their transaction (one holding the lock, one waiting for it); a batch's
// after-commit work (cache write, enqueues) overlaps the next one. The line is bounded: past
// `maxWaiting` a request is refused at once with a 503 (overload is explicit and never a hang).

export interface BatchLineOptions {
  /** Most members in one batch. */
  maxBatch: number;
  /** Most members waiting for one key, the running batches not counted. */
  maxWaiting: number;
}

interface Member<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/** What a batch returns for each member, in the members' order: an answer or a refusal. */
export type MemberResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

/** What a batch is given: `take()` its members once it holds the lock; `committed()` after commit. */
export interface BatchTurn<I> {
  /** The members waiting now (the same ones on every call: a retried transaction keeps them). */
  take(): I[];
  /** Lets the key's next batch open its transaction. */
  committed(): void;
}

export interface BatchLine<K, I, O> {
  /** Joins `key`'s line; resolves or rejects with this member's own result. */
  submit(key: K, input: I): Promise<O>;
}

interface KeyState<I, O> {
  waiting: Member<I, O>[];
  /** Batches of this key in their transaction (holding the lock or queued for it). */
  inTransaction: number;
  /** A batch that has opened its transaction but not taken its members yet. */
  preparing: boolean;
}

export function createBatchLine<K, I, O>(
  options: BatchLineOptions,
  runBatch: (key: K, turn: BatchTurn<I>) => Promise<MemberResult<O>[]>,
): BatchLine<K, I, O> {
  const keys = new Map<K, KeyState<I, O>>();

  const maybeOpenBatch = (key: K, state: KeyState<I, O>): void => {
    if (state.preparing || state.inTransaction >= 2 || state.waiting.length === 0) return;
    state.preparing = true;
    state.inTransaction += 1;
    let members: Member<I, O>[] | undefined;
    let inTransaction = true;
    const take = (): Member<I, O>[] => {
      if (!members) {
        members = state.waiting.splice(0, options.maxBatch);
        state.preparing = false;
        // Whoever arrives from now on goes to the next batch, which may open at once.
        maybeOpenBatch(key, state);
      }
      return members;
    };
    const leaveTransaction = () => {
      if (!inTransaction) return;
      inTransaction = false;
      state.inTransaction -= 1;
      maybeOpenBatch(key, state);
    };
    const turn: BatchTurn<I> = { take: () => take().map((member) => member.input), committed: leaveTransaction };

    void runBatch(key, turn)
      .then(
        (results) => {
          take().forEach((member, index) => {
            const result = results[index];
            if (result?.ok) member.resolve(result.value);
            else member.reject(result ? result.error : new Error('The batch returned no result for a member.'));
          });
        },
        // The batch failed whole (its transaction rolled back, or never began): every member it
        // took, or would have taken, gets the failure.
        (error: unknown) => take().forEach((member) => member.reject(error)),
      )
      .finally(() => {
        leaveTransaction();
        // Only this state, and only when idle: a newer state for the key may have replaced it.
        if (keys.get(key) === state && state.waiting.length === 0 && state.inTransaction === 0 && !state.preparing) keys.delete(key);
      });
  };

  return {
    submit(key, input) {
      const state = keys.get(key) ?? { waiting: [], inTransaction: 0, preparing: false };
      keys.set(key, state);
      if (state.waiting.length >= options.maxWaiting) {
        return Promise.reject(new ServiceUnavailableError('Too many requests are waiting for this product; retry shortly.', { retryAfterSeconds: 1 }));
      }
      const result = new Promise<O>((resolve, reject) => state.waiting.push({ input, resolve, reject }));
      maybeOpenBatch(key, state);
      return result;
    },
  };
}
