import { randomUUID } from 'node:crypto';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError, ServiceUnavailableError } from '@flash-sale/errors';
import { isUniqueViolation, Prisma, type DbOrTx } from '@flash-sale/db';
import { addSeconds, type Clock } from '../clock.ts';
import type { AbandonedClaims } from './abandoned-claims.ts';
import type { KeyClaimer } from './key-claimer.ts';

// The idempotency_keys table's raw SQL is all in this file, with the claim and completion rules
// it serves.

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** A claimed key: found again by its unique (scope, key), and owned while lock_token is ours. */
export interface KeyClaim {
  scope: string;
  key: string;
  lockToken: string;
}

export type ClaimResult = { kind: 'claimed'; claim: KeyClaim } | { kind: 'replay'; response: StoredResponse };

/** A claim about to be inserted: the row as it goes in. */
export interface FreshClaim {
  scope: string;
  key: string;
  requestHash: string;
  lockToken: string;
  lockedUntil: Date;
  expiresAt: Date;
}

export const RETENTION_SECONDS = 24 * 3600;
// Longer than any request can run (transactions time out after 10 s, with bounded retries), so
// a key is taken over on the lease alone only when its owner died without answering.
export const LEASE_SECONDS = 60;
const MAX_CLAIM_ATTEMPTS = 5;

type Deps = { db: DbOrTx; clock: Clock; abandonedClaims: AbandonedClaims; keyClaimer: KeyClaimer };

/**
 * Claims `key` for this request, or says what to do instead: replay the stored response, refuse
 * a different body under the same key (422), or refuse while another request holds it (409).
 * A key older than 24 h counts as new. A key whose owner already answered with a failure but
 * could not free it (see AbandonedClaims) is taken over at once.
 */
export async function claimIdempotencyKey(
  deps: Deps,
  request: { scope: string; key: string; requestHash: string },
  lockToken: string = randomUUID(),
): Promise<ClaimResult> {
  const { db, clock } = deps;
  for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt += 1) {
    const now = clock.now();
    const fresh = { ...request, lockToken, lockedUntil: addSeconds(now, LEASE_SECONDS), expiresAt: addSeconds(now, RETENTION_SECONDS) };
    // The common case first: batched with the claims arriving at the same moment; a retry goes
    // alone.
    const inserted = attempt === 1 ? await deps.keyClaimer.insert(fresh) : await insertClaim(db, fresh);
    if (inserted) return { kind: 'claimed', claim: { scope: request.scope, key: request.key, lockToken } };

    const existing = await db.idempotencyKey.findUnique({ where: { scope_key: { scope: request.scope, key: request.key } } });
    if (!existing) continue; // deleted (expired, or freed) between our insert and this read
    if (existing.expiresAt <= now) {
      await db.idempotencyKey.deleteMany({ where: { id: existing.id, expiresAt: { lte: now } } });
      continue;
    }
    if (existing.status === 'completed') {
      if (existing.requestHash !== request.requestHash) throw new IdempotencyKeyReusedError();
      return { kind: 'replay', response: { status: existing.responseStatus ?? 200, body: JSON.parse(existing.responseBody ?? 'null') } };
    }
    if (existing.lockedUntil > now && !(await deps.abandonedClaims.isAbandoned(existing.lockToken))) {
      throw existing.requestHash !== request.requestHash ? new IdempotencyKeyReusedError() : new IdempotencyKeyInUseError();
    }
    // The owner answered without freeing the key, or died mid-request (its transaction never
    // committed, or the key would be completed): the key is free, whatever body this request
    // has (as it would be had MySQL taken the owner's DELETE). Take it over, unless another
    // retry got there first.
    const takenOver = await db.idempotencyKey.updateMany({
      where: { id: existing.id, status: 'processing', lockToken: existing.lockToken },
      data: { lockToken, lockedUntil: addSeconds(now, LEASE_SECONDS), requestHash: request.requestHash },
    });
    if (takenOver.count === 1) return { kind: 'claimed', claim: { scope: request.scope, key: request.key, lockToken } };
  }
  throw new IdempotencyKeyInUseError();
}

/** One plain INSERT (no read-back: the claim is found again by its unique scope and key). */
async function insertClaim(db: DbOrTx, claim: FreshClaim): Promise<boolean> {
  try {
    await db.$executeRaw`
      INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, status, lock_token, locked_until, expires_at, created_at)
      VALUES (${claim.scope}, ${claim.key}, ${claim.requestHash}, 'processing', ${claim.lockToken}, ${claim.lockedUntil}, ${claim.expiresAt}, NOW(3))`;
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/**
 * Many fresh claims in one multi-row `INSERT IGNORE` (autocommit): a key already taken keeps
 * its row and is skipped. Returns how many rows went in. Sorted by key, so two processes
 * inserting overlapping keys take their locks in one order.
 */
export async function insertClaims(db: DbOrTx, claims: FreshClaim[]): Promise<number> {
  if (claims.length === 0) return 0;
  const sorted = [...claims].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rows = Prisma.join(
    sorted.map((each) => Prisma.sql`(${each.scope}, ${each.key}, ${each.requestHash}, 'processing', ${each.lockToken}, ${each.lockedUntil}, ${each.expiresAt}, NOW(3))`),
  );
  return db.$executeRaw`
    INSERT IGNORE INTO idempotency_keys (scope, idempotency_key, request_hash, status, lock_token, locked_until, expires_at, created_at)
    VALUES ${rows}`;
}

/** The lock_token each of `keys` holds under `scope` now (a key with no row is absent). */
export async function claimOwners(db: DbOrTx, scope: string, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const owners = await db.$queryRaw<{ key: string; lockToken: string }[]>`
    SELECT idempotency_key AS \`key\`, lock_token AS lockToken FROM idempotency_keys
    WHERE scope = ${scope} AND idempotency_key IN (${Prisma.join(keys)})`;
  return new Map(owners.map((row) => [row.key, row.lockToken]));
}

/**
 * Stores the response under the claimed key. Called inside the domain transaction, the key and
 * the state change commit together: there is no moment when the hold exists but the key does not
 * know it. Throws if the claim was lost, which rolls the domain change back.
 */
export async function completeIdempotencyKey(db: DbOrTx, claim: KeyClaim, response: StoredResponse): Promise<void> {
  const updated = await db.idempotencyKey.updateMany({
    where: { scope: claim.scope, key: claim.key, lockToken: claim.lockToken, status: 'processing' },
    data: { status: 'completed', responseStatus: response.status, responseBody: JSON.stringify(response.body) },
  });
  if (updated.count !== 1) throw new IdempotencyKeyInUseError();
}

/**
 * Stores many responses under their claimed keys in one statement, inside the transaction of a
 * batch: every key and every hold of the batch commit together. Throws if any claim was lost,
 * which rolls the whole batch back.
 */
export async function completeIdempotencyKeys(tx: DbOrTx, completions: { claim: KeyClaim; response: StoredResponse }[]): Promise<void> {
  if (completions.length === 0) return;
  for (const scope of new Set(completions.map(({ claim }) => claim.scope))) {
    const own = completions.filter(({ claim }) => claim.scope === scope);
    const cases = (value: (each: (typeof own)[number]) => unknown) =>
      Prisma.join(own.map((each) => Prisma.sql`WHEN ${each.claim.key} THEN ${value(each)}`), ' ');
    // Through the unique (scope, idempotency_key) index: point locks on these rows only.
    const updated = await tx.$executeRaw`
      UPDATE idempotency_keys
      SET status = 'completed',
          response_status = CASE idempotency_key ${cases((each) => each.response.status)} END,
          response_body = CASE idempotency_key ${cases((each) => JSON.stringify(each.response.body))} END
      WHERE scope = ${scope} AND idempotency_key IN (${Prisma.join(own.map((each) => each.claim.key))})
        AND lock_token = CASE idempotency_key ${cases((each) => each.claim.lockToken)} END AND status = 'processing'`;
    // A member's claim was taken over (it waited longer than the lease): the batch must not
    // commit a hold that its key no longer answers for. A 503, so that nothing is recorded
    // under the keys and every member may retry: the batch fails whole, and a member that sent
    // no key, or whose key is still its own, must not be told its key is in use (a 409), even
    // when the lost claim is the batch's only key.
    if (updated !== own.length) throw new ServiceUnavailableError('An idempotency key of this batch was taken over meanwhile; retry.', { retryAfterSeconds: 1 });
  }
}

/** Frees the key after a failure that changed nothing (a 5xx), so the client may retry with it. */
export async function releaseIdempotencyKey(db: DbOrTx, claim: KeyClaim): Promise<void> {
  await db.idempotencyKey.deleteMany({ where: { scope: claim.scope, key: claim.key, lockToken: claim.lockToken, status: 'processing' } });
}

/**
 * Deletes keys past their 24 h, at most `limit` rows per statement and `maxBatches` statements,
 * so the table does not grow forever and no purge holds locks for long. Returns the count.
 */
export async function purgeExpiredIdempotencyKeys(db: DbOrTx, now: Date, options: { limit: number; maxBatches: number }): Promise<number> {
  let purged = 0;
  for (let batch = 0; batch < options.maxBatches; batch += 1) {
    const deleted = await db.$executeRaw`DELETE FROM idempotency_keys WHERE expires_at <= ${now} ORDER BY expires_at LIMIT ${options.limit}`;
    purged += deleted;
    if (deleted < options.limit) break;
  }
  return purged;
}
