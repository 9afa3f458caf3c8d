import { AppError, toErrorEnvelope } from '@flash-sale/errors';
import type { CheckoutDeps, BeforeCommit } from '../deps.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
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
 * Runs a state-changing operation at most once per key (contract section 4). The operation gets
 * a hook that records its response inside its own transaction. A refusal (4xx) is recorded too
 * and replayed as such; a failure that changed nothing (5xx) frees the key for a retry.
 */
export async function runIdempotent<R>(
  deps: Pick<CheckoutDeps, 'db' | 'clock' | 'logger'>,
  request: IdempotentRequest,
  execute: (beforeCommit: BeforeCommit<R>) => Promise<R>,
  present: (result: R) => StoredResponse,
): Promise<IdempotentResponse> {
  const claimed = await claimIdempotencyKey(deps, { scope: request.scope, key: request.key, requestHash: requestHash(request.body) });
  if (claimed.kind === 'replay') return { ...claimed.response, replayed: true };
  const { claim } = claimed;

  try {
    const result = await execute((tx, value) => completeIdempotencyKey(tx, claim, present(value)));
    return { ...present(result), replayed: false };
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      await completeIdempotencyKey(deps.db, claim, { status: error.status, body: toErrorEnvelope(error) }).catch((storeError: unknown) =>
        deps.logger.error({ err: storeError, scope: request.scope }, 'could not record a refused idempotent request'),
      );
    } else {
      await releaseIdempotencyKey(deps.db, claim).catch((storeError: unknown) =>
        deps.logger.error({ err: storeError, scope: request.scope }, 'could not free an idempotency key after a failure'),
      );
    }
    throw error;
  }
}
