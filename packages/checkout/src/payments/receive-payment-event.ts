import { IdempotencyKeyReusedError, ServiceUnavailableError } from '@flash-sale/errors';
import { isUniqueViolation, runTransaction } from '@flash-sale/db';
import { enqueueAfterCommit, publishCommit } from '../after-commit.ts';
import type { CheckoutDeps } from '../deps.ts';
import { canonicalJson, sha256Hex } from '../idempotency/request-hash.ts';
import { PAYMENT_RESULT_GRACE_MS } from '../orders/payment-deadline.ts';

import type { PaymentResult } from '@flash-sale/db';

export type { PaymentResult };

export interface PaymentEventInput {
  idempotencyKey: string;
  orderId: number;
  result: PaymentResult;
  /** The body exactly as received, kept for ops and audits. */
  rawBody: string;
}

export interface ReceivedPaymentEvent {
  eventId: number;
  duplicate: boolean;
}

/** What makes two deliveries "the same body": the order and the result (the key is the key). */
export function paymentEventHash(input: { orderId: number; result: PaymentResult }): string {
  return sha256Hex(canonicalJson({ order_id: input.orderId, status: input.result }));
}

/**
 * Stores a verified webhook durably in MySQL before anyone answers the provider, then hands it to
 * the worker. A known key with the same body is a duplicate and changes nothing; with another
 * body it is refused (422).
 */
export async function receivePaymentEvent(
  deps: Pick<CheckoutDeps, 'db' | 'jobs' | 'logger' | 'seenPaymentEvents' | 'metrics' | 'clock' | 'productCache'>,
  input: PaymentEventInput,
): Promise<ReceivedPaymentEvent> {
  const bodyHash = paymentEventHash(input);
  const seen = await deps.seenPaymentEvents.recall(input.idempotencyKey).catch((error: unknown) => {
    deps.logger.warn({ err: error }, 'payment event duplicate check skipped Redis; using MySQL');
    return undefined;
  });
  if (seen) return duplicateOrRefuse(deps, seen, bodyHash);

  let eventId: number;
  try {
    eventId = await storePaymentEvent(deps, { ...input, bodyHash });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const existing = await deps.db.paymentEvent.findUniqueOrThrow({
      where: { idempotencyKey: input.idempotencyKey },
      select: { id: true, bodyHash: true, outcome: true },
    });
    await Promise.all([
      deps.seenPaymentEvents.remember(input.idempotencyKey, { eventId: existing.id, bodyHash: existing.bodyHash }),
      // Not applied yet: its first delivery may have been stored with its answer lost (a 503, so
      // no job), or the job may still be on its way. Adding it again is a no-op if it is there.
      existing.outcome === null ? handToWorker(deps, existing.id) : undefined,
    ]);
    return duplicateOrRefuse(deps, { eventId: existing.id, bodyHash: existing.bodyHash }, bodyHash);
  }

  await publishCommit(deps, {
    count: () => deps.metrics.paymentEvent('received'),
    changes: [{ message: 'payment event received', fields: { paymentEventId: eventId, orderId: input.orderId, result: input.result } }],
    // Remembered for the duplicate check and handed to the worker at once, on their two
    // connections: neither throws, and neither needs the other first (the duplicate check falls
    // back to MySQL's unique key). One after the other, a Redis that hangs would make the provider
    // wait out both timeouts in a row.
    alongside: [
      () => deps.seenPaymentEvents.remember(input.idempotencyKey, { eventId, bodyHash }),
      () => handToWorker(deps, eventId),
    ],
  });
  return { eventId, duplicate: false };
}

// Half the payment timeout's grace: the other half is room for the worker's clock, which times
// the timeout, running ahead of this process's, which took received_at.
const STORE_WITHIN_MS = PAYMENT_RESULT_GRACE_MS / 2;

/**
 * The event's row, in a transaction that commits only if the INSERT took less than
 * STORE_WITHIN_MS after received_at. That is what lets the timeout trust it has seen every result
 * received by the deadline: its read of an order's events locks their index range and runs no
 * sooner than the deadline plus the grace, so an INSERT that got its row in by then is waited for
 * and seen. An INSERT that waited longer (on that very lock, on a busy MySQL) may have got its
 * row in after the timeout had looked and cancelled the order, with a received_at from before
 * the deadline: it is rolled back, and the provider's retry is received anew, late.
 * Without this, a success received in time could be stored, answered 202, and then found to
 * contradict a timeout as a conflict (docs/api.md, "Payment webhook").
 */
async function storePaymentEvent(
  deps: Pick<CheckoutDeps, 'db' | 'clock'>,
  event: PaymentEventInput & { bodyHash: string },
): Promise<number> {
  return runTransaction(deps.db, async (tx) => {
    // received_at on the same clock as the order's payment_due_at (the app's), so that the
    // deadline rule compares like with like.
    const receivedAt = deps.clock.now();
    const { id } = await tx.paymentEvent.create({
      data: { idempotencyKey: event.idempotencyKey, orderId: event.orderId, result: event.result, bodyHash: event.bodyHash, payload: event.rawBody, receivedAt },
      select: { id: true },
    });
    if (deps.clock.now().getTime() - receivedAt.getTime() >= STORE_WITHIN_MS) {
      throw new ServiceUnavailableError('The payment event took too long to store; retry.', { retryAfterSeconds: 1 });
    }
    return id;
  });
}

/** The event's job, to run now; adding it again while it is there changes nothing. */
function handToWorker(deps: Pick<CheckoutDeps, 'jobs' | 'logger'>, paymentEventId: number): Promise<void> {
  return enqueueAfterCommit(deps, 'payment-webhook', { paymentEventId }, 0);
}

function duplicateOrRefuse(deps: Pick<CheckoutDeps, 'metrics'>, seen: { eventId: number; bodyHash: string }, bodyHash: string): ReceivedPaymentEvent {
  if (seen.bodyHash !== bodyHash) throw new IdempotencyKeyReusedError();
  deps.metrics.paymentEvent('duplicate');
  return { eventId: seen.eventId, duplicate: true };
}
