import type { Db } from '@flash-sale/db';
import type { Logger } from '@flash-sale/logger';
import type { CheckoutMetrics } from './checkout-metrics.ts';
import type { JobQueues } from '@flash-sale/queues';
import type { Clock } from './clock.ts';
import type { HoldIdAllocator } from './holds/hold-ids.ts';
import type { AbandonedClaims } from './idempotency/abandoned-claims.ts';
import type { KeyClaimer } from './idempotency/key-claimer.ts';
import type { SeenPaymentEvents } from './payments/seen-payment-events.ts';
import type { ProductCache } from './products/product-cache.ts';
import type { ProductReader } from './products/product-reader.ts';

export interface CheckoutSettings {
  holdTtlSeconds: number;
  orderPaymentTimeoutSeconds: number;
  webhookOrphanAfterSeconds: number;
}

/** Everything the domain touches. Each function narrows it with Pick<> to what it really uses. */
export interface CheckoutDeps {
  db: Db;
  /** Hands out the ids of new holds (one per process). */
  holdIds: HoldIdAllocator;
  productCache: ProductCache;
  /** A product with its live stock: the cache, else MySQL (one per process). */
  productReader: ProductReader;
  jobs: Pick<JobQueues, 'enqueue' | 'enqueueMany' | 'remove' | 'runSoon'>;
  seenPaymentEvents: SeenPaymentEvents;
  abandonedClaims: AbandonedClaims;
  /** Batches the first try of idempotency claims (one per process). */
  keyClaimer: KeyClaimer;
  clock: Clock;
  logger: Logger;
  metrics: CheckoutMetrics;
  settings: CheckoutSettings;
}

/** Called inside the domain transaction with its result, just before it commits. */
export type BeforeCommit<R> = (tx: import('@flash-sale/db').Tx, result: R) => Promise<void>;
