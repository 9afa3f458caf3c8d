import { isDatabaseUnavailableError, isRetryableTransactionError, mysqlUnavailable, type Db } from '@flash-sale/db';
import { createBatchLine, type BatchLine } from '../batching/batch-line.ts';
import { claimOwners, insertClaims, type FreshClaim } from './idempotency-keys.ts';

/**
 * The first try of an idempotency claim, for many requests at once: the claims of one endpoint
 * that arrive together go in one multi-row `INSERT IGNORE`. When it inserted every row, each
 * claim is its own; otherwise one read by the unique (scope, key) tells each whether its row
 * went in (its lock_token is there). A key that was
 * already taken is left to claimIdempotencyKey's careful path (replay, 422, 409, takeover).
 * Autocommit: a claimed key is visible to everyone at once, as the contract's 409 needs.
 */
export interface KeyClaimer {
  /** True when this request's row was inserted: the key is its own now. */
  insert(claim: FreshClaim): Promise<boolean>;
}

// idempotency_keys.idempotency_key is VARCHAR(255).
const MAX_KEY_LENGTH = 255;

export function createKeyClaimer(db: Db): KeyClaimer {
  const line: BatchLine<string, FreshClaim, boolean> = createBatchLine({ maxBatch: 256, maxWaiting: 8_192 }, async (scope, turn) => {
    const claims = turn.take();
    try {
      const inserted = await insertClaims(db, claims);
      // Every row went in: each claim is its own, no read needed (the usual case under a crowd of
      // fresh keys, a round trip less for each). IGNORE skips only duplicates here as long as no
      // key is longer than its column: a longer one would be truncated and still counted, so the
      // length is checked here rather than trusted to the api's schema.
      if (inserted === claims.length && claims.every((each) => each.key.length <= MAX_KEY_LENGTH)) {
        return claims.map(() => ({ ok: true as const, value: true }));
      }
      const ownerOf = await claimOwners(db, scope, claims.map((each) => each.key));
      return claims.map((each) => ({ ok: true as const, value: ownerOf.get(each.key) === each.lockToken }));
    } catch (error) {
      if (isDatabaseUnavailableError(error)) throw mysqlUnavailable(error);
      // A deadlock or lock-wait timeout rolled the one statement back: nothing of it went in,
      // so each claim tries again on its own (claimIdempotencyKey's careful path).
      if (isRetryableTransactionError(error)) return claims.map(() => ({ ok: true as const, value: false }));
      throw error;
    } finally {
      turn.committed();
    }
  });
  return { insert: (claim) => line.submit(claim.scope, claim) };
}
