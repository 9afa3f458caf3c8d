import type { Redis } from 'ioredis';
import type { Logger } from '@flash-sale/logger';
import { sha256Hex } from '../idempotency/request-hash.ts';

export interface SeenPaymentEvent {
  eventId: number;
  bodyHash: string;
}

/**
 * The fast duplicate check for webhooks: providers retry a lot, and most duplicates are answered
 * from Redis without touching MySQL. It is only a shortcut: MySQL's unique key on the
 * idempotency key is the backstop, so a duplicate is still caught after Redis lost its data.
 */
export interface SeenPaymentEvents {
  /** What was stored under this key, if Redis remembers it. Throws if Redis is unreachable. */
  recall(idempotencyKey: string): Promise<SeenPaymentEvent | undefined>;
  /** Remembers a stored event; never throws (a failure only costs a MySQL lookup later). */
  remember(idempotencyKey: string, event: SeenPaymentEvent): Promise<void>;
}

// Providers retry for up to three days.
const REMEMBER_SECONDS = 3 * 24 * 3600;

export function createSeenPaymentEvents(redis: Redis, options: { keyPrefix: string; logger: Logger }): SeenPaymentEvents {
  // Hashed: keys are client-chosen strings of up to 255 characters.
  const keyOf = (idempotencyKey: string) => `${options.keyPrefix}:payment-event:${sha256Hex(idempotencyKey)}`;
  return {
    async recall(idempotencyKey) {
      const value = await redis.get(keyOf(idempotencyKey));
      if (!value) return undefined;
      const [eventId, bodyHash] = value.split(':');
      return { eventId: Number(eventId), bodyHash: bodyHash ?? '' };
    },
    async remember(idempotencyKey, event) {
      try {
        await redis.set(keyOf(idempotencyKey), `${event.eventId}:${event.bodyHash}`, 'EX', REMEMBER_SECONDS);
      } catch (error) {
        options.logger.warn({ err: error, paymentEventId: event.eventId }, 'could not remember a payment event in Redis');
      }
    },
  };
}
