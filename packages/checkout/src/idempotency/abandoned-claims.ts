import type { Redis } from 'ioredis';
import type { Logger } from '@flash-sale/logger';

/**
 * Idempotency claims whose request has already answered with a failure but could not free its
 * key in MySQL (MySQL went away mid-request). The claim row stays `processing` until MySQL is
 * back; this note tells the retry that the owner is gone, so it takes the key over at once
 * instead of waiting out the lease. Redis only carries the note: if Redis is down too, the
 * lease (60 s) is the fallback.
 */
export interface AbandonedClaims {
  /**
   * Notes that the request owning `lockToken` has answered; never throws. Keyed by the token,
   * which the request chose before its claim: a claim whose INSERT reached MySQL but whose
   * answer was lost is covered too.
   */
  mark(lockToken: string, ttlSeconds: number): Promise<void>;
  /** Whether the claim's owner answered already; false when Redis cannot say. */
  isAbandoned(lockToken: string): Promise<boolean>;
}

export function createAbandonedClaims(redis: Redis, options: { keyPrefix: string; logger: Logger }): AbandonedClaims {
  const keyOf = (lockToken: string) => `${options.keyPrefix}:idempotency-abandoned:${lockToken}`;
  return {
    async mark(lockToken, ttlSeconds) {
      try {
        await redis.set(keyOf(lockToken), '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)));
      } catch (error) {
        options.logger.error({ err: error }, 'could not note an abandoned idempotency key; it is free again when its lease ends');
      }
    },
    async isAbandoned(lockToken) {
      try {
        return (await redis.exists(keyOf(lockToken))) === 1;
      } catch {
        return false;
      }
    },
  };
}
