import { randomUUID } from 'node:crypto';
import { AppError, toErrorEnvelope } from '@flash-sale/errors';
import { mysqlUnavailable } from '@flash-sale/db';
import type { CheckoutDeps, BeforeCommit } from '../deps.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  LEASE_SECONDS,
  releaseIdempotencyKey,
  type KeyClaim,
  type StoredResponse,
} from './idempotency-keys.ts';
import { requestHash } from './request-hash.ts';

export interface IdempotentRequest {
  /** The endpoint: keys are scoped per endpoint. */
  scope: string;
  key: string;
  body: unknown;
}

export type IdempotentResponse = StoredResponse & { replayed: boolean };

/**
 * What the operation gets to record its response inside its own transaction: `beforeCommit` for
 * an operation that runs alone; the claim and `present` for a batch that records many keys in
 * one statement, and, after its commit, says so of a refusal it recorded too.
 */
export interface KeyCompletion<R> {
  claim: KeyClaim;
  present: (result: R) => StoredResponse;
  beforeCommit: BeforeCommit<R>;
  /** Set after commit by a batch that recorded this request's refusal in its transaction. */
  refusalRecorded: boolean;
}

type Deps = Pick<CheckoutDeps, 'db' | 'clock' | 'logger' | 'abandonedClaims' | 'keyClaimer'>;

/**
 * Runs a state-changing operation at most once per key (docs/api.md, "Idempotency"). The operation gets
 * a hook that records its response inside its own transaction. A refusal (4xx) is recorded too
 * and replayed as such. A failure (5xx) frees the key for the retry that the 503 invites: in
 * MySQL when it answers, otherwise by noting in Redis that this request has answered, so that the
 * retry takes the key over at once (never stranded behind the lease while its owner is gone).
 */
export async function runIdempotent<R>(
  deps: Deps,
  request: IdempotentRequest,
  execute: (completion: KeyCompletion<R>) => Promise<R>,
  present: (result: R) => StoredResponse,
): Promise<IdempotentResponse> {
  const lockToken = randomUUID();
  const claimed = await claimIdempotencyKey(deps, { scope: request.scope, key: request.key, requestHash: requestHash(request.body) }, lockToken).catch(
    async (error: unknown) => {
      // The INSERT may have reached MySQL even though its answer did not: note the token.
      if (!(error instanceof AppError && error.status < 500)) await deps.abandonedClaims.mark(lockToken, LEASE_SECONDS);
      throw error;
    },
  );
  if (claimed.kind === 'replay') return { ...claimed.response, replayed: true };
  const { claim } = claimed;
  const completion: KeyCompletion<R> = {
    claim,
    present,
    beforeCommit: (tx, value) => completeIdempotencyKey(tx, claim, present(value)),
    refusalRecorded: false,
  };

  try {
    const result = await execute(completion);
    return { ...present(result), replayed: false };
  } catch (error) {
    if (!(error instanceof AppError && error.status < 500)) {
      await freeKey(deps, claim);
      throw error;
    }
    if (completion.refusalRecorded) throw error;
    try {
      await completeIdempotencyKey(deps.db, claim, { status: error.status, body: toErrorEnvelope(error) });
    } catch (storeError) {
      // The refusal could not be stored, so it must not be answered as if it were: a 503 whose
      // retry runs afresh.
      deps.logger.error({ err: storeError, scope: request.scope }, 'could not record a refused idempotent request');
      await freeKey(deps, claim);
      throw storeError instanceof AppError ? storeError : mysqlUnavailable(storeError, 1);
    }
    throw error;
  }
}

/**
 * Frees the key of a request that failed, for its retry: noted as abandoned in Redis (a retry
 * takes such a key over at once) and deleted in MySQL. The request answers once the note is
 * made; the delete goes on by itself, since the failure was most likely MySQL's and waiting
 * for it again would hold the 503 up to another no-answer deadline. If it cannot be deleted,
 * the note stands; if neither works, the key is free again when its lease ends.
 */
async function freeKey(deps: Deps, claim: KeyClaim): Promise<void> {
  void releaseIdempotencyKey(deps.db, claim).catch((error: unknown) => {
    deps.logger.warn({ err: error, scope: claim.scope }, 'could not free an idempotency key in MySQL; it is noted as abandoned for the retry');
  });
  await deps.abandonedClaims.mark(claim.lockToken, LEASE_SECONDS);
}
